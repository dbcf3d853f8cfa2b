/**
 * Proof that a unix:// hub is alive, without koffi: an abstract Unix socket (a name starting
 * with a NUL byte, which never touches the filesystem) named from the uid and the socket path.
 * A second bind fails with EADDRINUSE; the kernel frees the name when the holder dies, even by
 * SIGKILL. Only the holder may create or clean up the socket file, so a stale file left by a
 * killed hub is replaced, and a live hub's socket is never stolen.
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:net';
import { resolve } from 'node:path';
import { HubRunningError } from '../../errors.js';

/** The abstract name guarding `path` for this user. */
export function livenessName(path: string): string {
  const digest = createHash('sha256').update(resolve(path)).digest('hex').slice(0, 32);
  return `\0unibus-hub-${process.getuid?.() ?? 0}-${digest}`;
}

/** Holds the liveness name of `path`; rejects with `HubRunningError` when a live hub holds it. */
export function acquireHubLiveness(path: string, url: string): Promise<Server> {
  return new Promise((resolvePromise, reject) => {
    const server = createServer();
    server.once('error', (err: Error & { code?: string }) => {
      server.close();
      reject(err.code === 'EADDRINUSE' ? new HubRunningError(url, 'a live hub serves this socket path') : err);
    });
    server.listen({ path: livenessName(path) }, () => {
      server.unref();
      resolvePromise(server);
    });
  });
}
