/**
 * How a `pipe:` hub hands a child its two pipe ends: inherited fds named in one environment
 * variable, `UNIBUS_PIPE_FDS=<read fd>,<write fd>` (the child's view: it reads frames from the
 * first and writes frames to the second). Any language can use it: read length-prefixed frames
 * (u32 big-endian length, then the bytes) from one fd and write them to the other.
 * @module
 */
import { InvalidUrlError, UnsupportedError } from '../../errors.js';

/** The environment variable a `pipe:` child finds its fds in. */
export const PIPE_FDS_ENV = 'UNIBUS_PIPE_FDS';

/** The fds a spawned child receives, in its own numbering (after stdin, stdout, stderr). */
export const CHILD_READ_FD = 3;
export const CHILD_WRITE_FD = 4;
/** The first of `SpawnClientOptions.extraStdio`'s fds in a spawned child (5, 6, …). */
export const PIPE_EXTRA_FD = 5;

/** The variable's value for a child. */
export function formatPipeFds(): string {
  return `${CHILD_READ_FD},${CHILD_WRITE_FD}`;
}

/** Reads the child's fds from `env`; throws `UnsupportedError` when this process was not spawned by a hub. */
export function parsePipeFds(env: NodeJS.ProcessEnv, url: string): { read: number; write: number } {
  const spec = env[PIPE_FDS_ENV];
  if (spec === undefined || spec === '') {
    throw new UnsupportedError(`${url} connects only in a process started by a pipe: hub `
      + `(listener.spawn or 'unibus hub pipe: --spawn'); ${PIPE_FDS_ENV} is not set, or a connect already took it`);
  }
  const m = /^(\d{1,9}),(\d{1,9})$/.exec(spec);
  if (!m) throw new InvalidUrlError(url, `${PIPE_FDS_ENV} must be '<read fd>,<write fd>' (got ${JSON.stringify(spec)})`);
  const read = Number(m[1]);
  const write = Number(m[2]);
  if (read === write || read < 3 || write < 3) {
    throw new InvalidUrlError(url, `${PIPE_FDS_ENV} must name two distinct fds above 2 (got ${JSON.stringify(spec)})`);
  }
  return { read, write };
}
