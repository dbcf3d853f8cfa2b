/** Backoff delays for non-blocking retries (FIFO opens that fail with ENXIO, ENOENT). @module */

/** The delay before retry number `attempt` (0-based): 2, 4, 8 … ms, capped at `max`. */
export function backoffDelay(attempt: number, max = 200): number {
  return Math.min(max, 2 ** Math.min(attempt + 1, 16));
}
