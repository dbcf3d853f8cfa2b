/**
 * What a client makes of an ERR from its hub: `[8, code, text]`, or `[8, code, text, sid]` for an
 * error about one subscription. The code is stable (`ERR_UNIBUS_*`), so it maps onto the same
 * typed error the hub raised: a refused SUB becomes a `LimitError` for that subscription, a
 * slow-consumer notice becomes a `slow-consumer` event, anything else an `error` event.
 * @module
 */
import { LimitError, ProtocolError } from '../../errors.js';
import type { FabricStatus } from '../fabric.js';

export function hubErrorEvent(code: unknown, text: unknown, aboutSub: boolean): FabricStatus {
  const detail = String(text);
  if (code === 'ERR_UNIBUS_SLOW_CONSUMER') return { type: 'slow-consumer', detail };
  if (code === 'ERR_UNIBUS_LIMIT') {
    // The hub writes "<limit option>: <detail>".
    const at = detail.indexOf(': ');
    const error = at > 0 ? new LimitError(detail.slice(0, at), detail.slice(at + 2)) : new LimitError('?', detail);
    return { type: 'error', error };
  }
  const error = new ProtocolError(`hub says ${String(code)}: ${detail}${aboutSub ? ' (about one subscription)' : ''}`);
  return { type: 'error', error };
}
