/**
 * A stream connection that reads in place (Node's `onread`, ./framing/frame-input.ts) and lends
 * each received frame first to one consumer that only passes it on (`FrameLender`,
 * ./frame-lending.ts): the hub's router forwarding a PUB. What it uses up gives its memory back
 * (./framing/chunk-lending.ts); what it declines is delivered as usual, the receiver's for good.
 * @module
 */
import { ProtocolError } from '../errors.js';
import type { Socket } from 'node:net';
import type { ReadInto } from './framing/frame-input.js';
import type { FrameLender } from './frame-lending.js';
import { StreamConnection, type StreamConnectionOptions } from './stream-connection.js';

/**
 * @example
 * ```ts
 * const readInto = new ReadInto();
 * const conn = new LendingStreamConnection(socket, readInto, { maxFrameSize }); // socket made with readInto.onread
 * conn.lendFrames((frame) => forwardedNow(frame)); // true: used up (its memory is read over again)
 * conn.consume((frame) => keep(frame));            // every other frame, in order, owned
 * ```
 */
export class LendingStreamConnection extends StreamConnection implements FrameLender {
  readonly #readInto: ReadInto;

  constructor(socket: Socket, readInto: ReadInto, options: Omit<StreamConnectionOptions, 'readInto'>) {
    super(socket, socket, { ...options, readInto });
    this.#readInto = readInto;
  }

  lendFrames(use: (frame: Uint8Array) => boolean): void {
    this.#readInto.lend((frame) => {
      try {
        return use(frame);
      } catch (err) {
        // As a throwing consumer does: the connection closes; the input stops decoding (rethrown).
        const e = err instanceof Error ? err : new Error(String(err));
        this.destroy(e instanceof ProtocolError ? 'protocol' : 'error', e);
        throw e;
      }
    });
  }
}
