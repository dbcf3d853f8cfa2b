/**
 * The child side of `pipe:`: adopts the two inherited pipe ends named in `UNIBUS_PIPE_FDS`.
 * It checks they are pipes with the right access modes, marks them close-on-exec and deletes
 * the variable, so a grandchild neither inherits the pipes nor connects by mistake.
 * @module
 */
import { fdSocket } from '../../native/fd-socket.js';
import { InvalidUrlError } from '../../errors.js';
import { getStatusFlags, isFifo, O, setCloseOnExec } from '../../native/fds.js';
import { StreamConnection } from '../stream-connection.js';
import type { Connection, TransportOptions } from '../transport.js';
import { commonOptions } from '../shared/url.js';
import { PIPE_FDS_ENV, parsePipeFds } from './pipe-env.js';
import { checkPipeUrl } from './pipe-url.js';

const ACCMODE = 3;

function checkEnd(fd: number, access: number, url: string, what: string): void {
  let ok = false;
  try {
    ok = isFifo(fd) && (getStatusFlags(fd) & ACCMODE) === access;
  } catch {
    ok = false;
  }
  if (!ok) throw new InvalidUrlError(url, `${PIPE_FDS_ENV} names fd=${fd}, which is not an inherited pipe ${what} end`);
}

/** Connects a process started by a `pipe:` hub to it. */
export async function connectPipe(url: string, options: TransportOptions = {}): Promise<Connection> {
  checkPipeUrl(url);
  const { maxFrameSize } = commonOptions(url, options);
  const { read, write } = parsePipeFds(process.env, url);
  checkEnd(read, O.RDONLY, url, 'read');
  checkEnd(write, O.WRONLY, url, 'write');
  // The fds were inherited without close-on-exec (that is how they got here); set it now.
  setCloseOnExec(read, true);
  setCloseOnExec(write, true);
  delete process.env[PIPE_FDS_ENV];
  const input = fdSocket(read, 'read');
  const output = fdSocket(write, 'write');
  return new StreamConnection(input, output, { maxFrameSize, peer: { pid: process.ppid }, peerProvenBy: 'parent' });
}
