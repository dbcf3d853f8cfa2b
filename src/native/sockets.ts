/**
 * Socket credentials (SO_PEERCRED): who is on the other end of a Unix socket, as the kernel
 * saw it at connect time. Loaded only when a caller asks for `connection.peer`.
 * @module
 */
import { native } from './loader.js';
import { lastError } from './errno.js';

const SOL_SOCKET = 1;
const SO_PEERCRED = 17;
/** struct ucred { pid_t pid; uid_t uid; gid_t gid; }: three 32-bit fields. */
const UCRED_BYTES = 12;

let getsockopt: ((fd: number, level: number, name: number, val: Buffer, len: Int32Array) => number) | undefined;

/** pid, uid and gid of the peer of the connected Unix socket `fd`. */
export function peerCredentials(fd: number): { pid: number; uid: number; gid: number } {
  if (!getsockopt) {
    const { libc } = native();
    getsockopt = libc.func('int getsockopt(int, int, int, _Out_ void *, _Inout_ int *)') as unknown as typeof getsockopt;
  }
  const buf = Buffer.alloc(UCRED_BYTES);
  const len = new Int32Array([UCRED_BYTES]);
  if (getsockopt!(fd, SOL_SOCKET, SO_PEERCRED, buf, len) < 0) throw lastError('getsockopt');
  return { pid: buf.readInt32LE(0), uid: buf.readUInt32LE(4), gid: buf.readUInt32LE(8) };
}
