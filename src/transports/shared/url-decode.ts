/**
 * Percent-decoding for URL parts. `decodeURIComponent` throws a bare `URIError` on a malformed
 * escape (`%zz`, a cut UTF-8 sequence); a URL is user input, so that becomes the same typed
 * `InvalidUrlError` as every other bad URL (found by the URL fuzzer, test/fuzz/targets/urls.ts).
 * @module
 */
import { InvalidUrlError } from '../../errors.js';

/** `decodeURIComponent(part)`, or `InvalidUrlError` naming the part when an escape is malformed. */
export function decodeUrlPart(part: string, url: string, what: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new InvalidUrlError(url, `${what} has a malformed %-escape (got ${JSON.stringify(part)})`);
  }
}
