/**
 * The read side of a stream connection: chunks from the medium go through the length-prefix
 * decoder (./length-prefix.ts), and any frame left partial by a read is accounted against the
 * reassembly budgets (./reassembly-budget.ts). A bad length or a refused or stalled partial
 * frame drops what was assembled and is reported once through `onFailed`.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { LengthPrefixDecoder, type FrameHandler } from './length-prefix.js';
import { ReassemblyAccount } from './reassembly-budget.js';

/**
 * @example
 * ```ts
 * const input = new FrameInput(1 << 20, 30_000, (frame) => use(frame), (err) => giveUp(err));
 * socket.on('data', (chunk) => input.push(chunk));
 * ```
 */
export class FrameInput {
  readonly #decoder: LengthPrefixDecoder;
  readonly #budget: ReassemblyAccount;
  readonly #onFailed: (err: Error) => void;
  #hadPartial = false;

  /** `onFailed`: the input cannot be read on (its owner stops reading). */
  constructor(maxFrameSize: number, partialFrameTimeout: number, onFrame: FrameHandler, onFailed: (err: Error) => void) {
    this.#onFailed = onFailed;
    this.#decoder = new LengthPrefixDecoder(maxFrameSize, onFrame);
    this.#budget = new ReassemblyAccount(partialFrameTimeout, (err) => this.fail(err));
  }

  /** Bytes received for a frame not yet complete (header included). */
  get pendingBytes(): number {
    return this.#decoder.pendingBytes;
  }

  /** Feeds one chunk read from the medium. */
  push(chunk: Buffer): void {
    try {
      // A plain Uint8Array view: every frame and payload view cut from it is a cheap typed-array
      // subarray instead of a Buffer (FastBuffer) construction.
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      // Most reads end on a frame boundary: the budget is touched only around partial frames.
      const pending = this.#decoder.pendingBytes;
      if (pending !== 0 || this.#hadPartial) {
        this.#hadPartial = pending !== 0;
        this.#budget.update(pending);
      }
    } catch (err) {
      this.fail(err instanceof Error ? err : new ProtocolError(String(err)));
    }
  }

  /** Bad length, stalled or refused partial frame: drop what was assembled, read no more. */
  fail(err: Error): void {
    this.#decoder.discard();
    this.#budget.release();
    this.#onFailed(err);
  }

  /** The connection is gone: its partial frame's share of the budget goes back. */
  release(): void {
    this.#budget.release();
  }
}
