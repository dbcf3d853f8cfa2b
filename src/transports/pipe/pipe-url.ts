/** `pipe:` URLs: no address, only query options. @module */
import { InvalidUrlError } from '../../errors.js';
import { parseUrl, parseSize } from '../shared/url.js';

/** Pipe buffer the hub asks for (F_SETPIPE_SZ): 4x the 64 KiB default, about a Unix socket's send buffer. */
export const DEFAULT_PIPE_SIZE = 256 * 1024;

/** Checks a `pipe:` URL and returns its query options. */
export function checkPipeUrl(url: string): { pipeSize: number } {
  const parsed = parseUrl(url, 'pipe');
  if (parsed.host !== '' || (parsed.pathname !== '' && parsed.pathname !== '/')) {
    throw new InvalidUrlError(url, 'pipe: takes no address: use pipe: (the hub spawns its clients)');
  }
  const size = parsed.searchParams.get('pipeSize');
  return { pipeSize: size === null ? DEFAULT_PIPE_SIZE : parseSize(size, url, 'pipeSize') };
}
