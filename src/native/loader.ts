/**
 * Loads koffi and libc on first use. `src/native/` is the only place that imports koffi; every
 * other module reaches it through the concept files beside this one (fds, System V, mmap, locks,
 * processes), and only when a transport that needs it is used, so a `unix://` user never loads it.
 * @module
 */
import { createRequire } from 'node:module';
import { UnsupportedError } from '../errors.js';

type Koffi = typeof import('koffi');

let cached: { koffi: Koffi; libc: ReturnType<Koffi['load']> } | undefined;

/** koffi and the process's libc, loaded once. Throws `UnsupportedError` off Linux. */
export function native(): { koffi: Koffi; libc: ReturnType<Koffi['load']> } {
  if (cached) return cached;
  if (process.platform !== 'linux') {
    throw new UnsupportedError(`kernel transports need Linux; this is platform=${process.platform}`);
  }
  // createRequire keeps the load synchronous and lazy: koffi is a native addon (CommonJS).
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const libc = koffi.load('libc.so.6');
  cached = { koffi, libc };
  return cached;
}
