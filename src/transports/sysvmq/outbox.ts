/**
 * The sending half of one data queue: frames become one length-prefixed byte stream
 * (framing/length-prefix.ts) cut into messages of at most `msgmax` bytes, so small frames share
 * a message and large frames span several. Every `msgsnd` uses IPC_NOWAIT: on EAGAIN the outbox
 * stops and reports "blocked"; the caller waits for a space notice (or its backoff timer) and
 * calls `flush()` again. Frames are held by reference until copied into a message, so a caller
 * must not change a frame before `send()` resolves (the Transport contract says so).
 * @module
 */
import { Errno } from '../../native/errno.js';
import { IPC_NOWAIT, MsgBuffer, msgSend } from '../../native/sysv-msg.js';
import { HEADER_BYTES } from '../framing/length-prefix.js';
import { BYE, DATA } from './wire.js';

/** What one `flush()` did. */
export const FlushResult = {
  /** Everything (and the BYE, if asked for) is in the kernel. */
  Done: 0,
  /** The queue is full (EAGAIN); some may have been sent. */
  Blocked: 1,
  /** The queue was removed (EIDRM / EINVAL): the peer or the hub is gone. */
  Gone: 2,
} as const;
export type FlushResult = (typeof FlushResult)[keyof typeof FlushResult];

export class Outbox {
  readonly #queue: number;
  readonly #msg: MsgBuffer;
  readonly #msgmax: number;
  /** Frame lengths (numbers, written as 4-byte big-endian headers) and frame chunks, in order. */
  #items: Array<number | Uint8Array> = [];
  #head = 0;
  /** Bytes of `#items[#head]` already sent. */
  #offset = 0;
  #pendingBytes = 0;
  /** Stream bytes ever accepted / ever taken by the kernel (both only grow). */
  acceptedBytes = 0;
  sentBytes = 0;
  #byeWanted = false;
  #byeSent = false;
  /** Messages sent by the last `flush()` (the caller wakes the peer once when > 0). */
  sentMessages = 0;

  constructor(queue: number, msgmax: number) {
    this.#queue = queue;
    this.#msgmax = msgmax;
    this.#msg = new MsgBuffer(msgmax);
  }

  /** Bytes accepted and not yet in the kernel. */
  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  get byeSent(): boolean {
    return this.#byeSent;
  }

  /** Accepts one frame (held by reference until sent). */
  push(chunks: readonly Uint8Array[], size: number): void {
    this.#items.push(size);
    for (let i = 0; i < chunks.length; i++) if (chunks[i]!.length > 0) this.#items.push(chunks[i]!);
    this.#pendingBytes += HEADER_BYTES + size;
    this.acceptedBytes += HEADER_BYTES + size;
  }

  /** Asks for a BYE after everything accepted so far. */
  end(): void {
    this.#byeWanted = true;
  }

  /** Drops everything not yet sent (destroy). */
  discard(): void {
    this.#items = [];
    this.#head = 0;
    this.#offset = 0;
    this.#pendingBytes = 0;
  }

  /** Sends as much as the queue takes, without blocking. */
  flush(): FlushResult {
    this.sentMessages = 0;
    const msg = this.#msg;
    const text = msg.text;
    const items = this.#items;
    msg.type = DATA;
    while (this.#pendingBytes > 0) {
      // Fill one message; commit the read position only when msgsnd took it.
      let pos = 0;
      let head = this.#head;
      let offset = this.#offset;
      while (pos < this.#msgmax && head < items.length) {
        const item = items[head]!;
        if (typeof item === 'number') {
          while (offset < HEADER_BYTES && pos < this.#msgmax) {
            text[pos++] = (item >>> (8 * (HEADER_BYTES - 1 - offset))) & 0xff;
            offset++;
          }
          if (offset === HEADER_BYTES) { head++; offset = 0; }
        } else {
          const n = Math.min(item.length - offset, this.#msgmax - pos);
          text.set(offset === 0 && n === item.length ? item : item.subarray(offset, offset + n), pos);
          pos += n;
          offset += n;
          if (offset === item.length) { head++; offset = 0; }
        }
      }
      const r = msgSend(this.#queue, msg, pos, IPC_NOWAIT);
      if (r !== 0) {
        if (r === -Errno.EINTR) continue;
        return r === -Errno.EAGAIN ? FlushResult.Blocked : FlushResult.Gone;
      }
      this.sentMessages++;
      // Release references to sent chunks at once (a 16 MiB frame should not outlive its send).
      for (let i = this.#head; i < head; i++) items[i] = 0;
      this.#head = head;
      this.#offset = offset;
      this.#pendingBytes -= pos;
      this.sentBytes += pos;
    }
    if (this.#head > 0) {
      this.#items = [];
      this.#head = 0;
    }
    if (this.#byeWanted && !this.#byeSent) {
      msg.type = BYE;
      const r = msgSend(this.#queue, msg, 0, IPC_NOWAIT);
      msg.type = DATA;
      if (r === -Errno.EAGAIN || r === -Errno.EINTR) return FlushResult.Blocked;
      if (r !== 0) return FlushResult.Gone;
      this.sentMessages++;
      this.#byeSent = true;
    }
    return FlushResult.Done;
  }
}
