/**
 * The read side of a stream connection: chunks from the medium go through the length-prefix
 * decoder (./length-prefix.ts), and any frame left partial by a read is accounted against the
 * reassembly budgets (./reassembly-budget.ts). A bad length or a refused or stalled partial
 * frame drops what was assembled and is reported once through `onFailed`.
 *
 * Two ways in: `push(chunk)` for chunks the medium allocated itself (a socket's `data` event),
 * or `readBuffer()` / `onRead()` for a socket that reads where it is told (Node's `onread`,
 * `readInto` below). Then a large frame's body is read straight into the buffer it is delivered
 * in: no copy of it, and no 64 KiB buffer allocated by Node for each read. A stream of large
 * frames of one size (the last two alike) is read a frame at a time, header and body at once,
 * into a buffer of exactly that size: one read per frame, nothing copied (see `readBuffer`).
 * Everything else is read into receive chunks cut forward, never rewound: frames inside them are
 * delivered as views, as from Node's own buffers, and a view once delivered is never written again.
 * @module
 */
import { ProtocolError } from '../../errors.js';
import { uninitialized, view } from '../../bytes.js';
import { HEADER_BYTES, LengthPrefixDecoder, readLength, type FrameHandler } from './length-prefix.js';
import { ReassemblyAccount } from './reassembly-budget.js';
import { ChunkLending } from './chunk-lending.js';

/** Bytes of one receive chunk (Node's own read buffer is 64 KiB; below glibc's 128 KiB mmap threshold). */
const READ_CHUNK = 64 * 1024;
/**
 * Bytes of a receive chunk of a lending input whose reads fill all the room they are given: a
 * hub relaying a busy publisher. Its chunk is read over again (./chunk-lending.ts), so a larger
 * one costs no fresh memory per read, and each read is then forwarded as one write per
 * subscriber: 64 KiB reads made a hub's syscalls, and the wake-ups of its subscribers, per
 * 16 frames at 4 KiB. Other inputs keep READ_CHUNK: their chunks are fresh memory anyway, and
 * from glibc's 128 KiB threshold each would be an mmap of its own, faulted in page by page.
 */
const BUSY_LEND_CHUNK = 256 * 1024;
/** A read goes into the rest of the current chunk while this much is left of it, else into a new chunk. */
const READ_ROOM = 16 * 1024;
/** A read goes straight into a pending body while at least this much of it is to come. */
const DIRECT_MIN = 16 * 1024;
/**
 * Room of the read after a body was read straight in: enough for the next frame's header and
 * envelope. When that frame is large too, only this much of it is copied, the rest is read in
 * place; a 64 KiB read there would copy most of a 64 KiB frame and take a fresh chunk per frame.
 */
const AFTER_DIRECT_ROOM = 4 * 1024;

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
  /** The receive chunk and where its unused part starts (reads by `readBuffer`). */
  #chunk: Uint8Array = new Uint8Array(0);
  #chunkPos = 0;
  /** The buffer the last `readBuffer()` gave, and whether it was a body's rest. */
  #given: Uint8Array | undefined;
  #givenDirect = false;
  /** The last read was a whole frame's buffer (`readBuffer`'s guess of its size). */
  #givenWhole = false;
  /** The last read completed a body read in place: the stream carries large frames. */
  #afterDirect = false;
  /** Size of the last frame delivered, and that size again when the one before it had it too (else -1). */
  #lastSize = -1;
  #repeatSize = -1;
  /** The last read into the chunk filled all the room it was given: more was waiting. */
  #busy = false;
  readonly #onFrame: FrameHandler;
  /** Lending (./frame-lending.ts via `lend()`): who is offered each frame first, and the chunk's state. */
  readonly #lending = new ChunkLending();

  /** `onFailed`: the input cannot be read on (its owner stops reading). */
  constructor(maxFrameSize: number, partialFrameTimeout: number, onFrame: FrameHandler, onFailed: (err: Error) => void) {
    this.#onFailed = onFailed;
    this.#onFrame = onFrame;
    this.#decoder = new LengthPrefixDecoder(maxFrameSize, (frame) => this.#frame(frame));
    this.#budget = new ReassemblyAccount(partialFrameTimeout, (err) => this.fail(err));
  }

  /** Bytes received for a frame not yet complete (header included). */
  get pendingBytes(): number {
    return this.#decoder.pendingBytes;
  }

  /** Feeds one chunk read from the medium (it is never written again: frames in it are delivered as views). */
  push(chunk: Uint8Array): void {
    try {
      // A plain Uint8Array view: every frame and payload view cut from it is a cheap typed-array
      // subarray instead of a Buffer (FastBuffer) construction.
      this.#decoder.push(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
      this.#afterRead();
    } catch (err) {
      this.fail(err instanceof Error ? err : new ProtocolError(String(err)));
    }
  }

  /** Where the medium should read next: the rest of a large pending body, or receive-chunk room. */
  readBuffer(): Uint8Array {
    const direct = this.#decoder.directTarget(DIRECT_MIN);
    this.#givenDirect = direct !== undefined;
    if (direct !== undefined) return (this.#given = direct);
    // Large frames of one size in a row: the next is read into a buffer of that frame's exact
    // size, its header included, so the read cannot take bytes past it. Otherwise a 64 KiB frame
    // took two reads (a short one for its header and envelope, copied, then its body's rest).
    this.#givenWhole = this.#afterDirect && this.#repeatSize >= DIRECT_MIN && this.#decoder.idle;
    if (this.#givenWhole) return (this.#given = this.#decoder.allocate(HEADER_BYTES + this.#repeatSize));
    // A large body's short rest (under DIRECT_MIN) is read with the next header, no more.
    const room = this.#afterDirect ? Math.min(this.#decoder.pendingRest + AFTER_DIRECT_ROOM, READ_CHUNK) : READ_ROOM;
    // Only a chunk read over again grows (nothing of it kept: ./chunk-lending.ts): one whose
    // frames are kept (the hub's own subscription) is fresh memory each time, 64 KiB from the heap.
    const size = this.#busy && this.#lending.chunkFree() ? BUSY_LEND_CHUNK : READ_CHUNK;
    // At its start nothing of the chunk is held: a busy lending input trades it for a larger one.
    if (this.#chunk.length - this.#chunkPos < room || (this.#chunkPos === 0 && this.#chunk.length < size)) {
      // Not zero-filled: only bytes the kernel wrote are ever read.
      this.#chunk = uninitialized(size);
      this.#chunkPos = 0;
      this.#lending.freshChunk();
    }
    const end = this.#afterDirect ? this.#chunkPos + room : this.#chunk.length;
    return (this.#given = view(this.#chunk, this.#chunkPos, end));
  }

  /** The medium read `n` bytes into `buf`, the last `readBuffer()`. */
  onRead(n: number, buf: Uint8Array): void {
    // Not the buffer given last: the input was given up meanwhile (nothing more is decoded).
    if (buf !== this.#given) return;
    this.#given = undefined;
    try {
      if (this.#givenDirect) this.#decoder.advanceDirect(n);
      else if (this.#givenWhole) this.#readWhole(n, buf);
      else {
        const at = this.#chunkPos;
        this.#chunkPos = at + n;
        this.#busy = n === buf.length;
        this.#decoder.push(view(this.#chunk, at, at + n));
        // Every frame of the chunk so far was lent and used up, none is held: read over it again.
        if (this.#lending.chunkFree() && !this.#decoder.holdsViews) this.#chunkPos = 0;
      }
      // Also when a chunk read left a large body pending: its rest and the next header come in
      // a short read, so the next large body is read in place (64 KiB reads into the chunk had
      // copied every 64 KiB frame whole, each into a fresh body).
      this.#afterDirect = this.#givenDirect || this.#givenWhole || this.#decoder.pendingSize >= DIRECT_MIN;
      this.#afterRead();
    } catch (err) {
      this.fail(err instanceof Error ? err : new ProtocolError(String(err)));
    }
  }

  /** `n` bytes were read into a buffer sized for a frame of `#repeatSize` bytes, header first. */
  #readWhole(n: number, buf: Uint8Array): void {
    const size = this.#repeatSize;
    if (n >= HEADER_BYTES && readLength(buf, 0) === size) {
      this.#decoder.adopt(view(buf, HEADER_BYTES, HEADER_BYTES + size), n - HEADER_BYTES);
      return;
    }
    // Guessed wrong: the bytes are decoded as any chunk's are (copied into a body, or delivered
    // as views of this buffer, never read into again). A pooled buffer is not given back.
    this.#lending.forgetBody();
    this.#decoder.push(view(buf, 0, n));
  }

  /**
   * From now on each whole frame is first offered to `use` as a view valid only during the call
   * (../frame-lending.ts); what it declines goes to `onFrame` as before. A frame used up gives
   * its memory back: a large body to the process's pool, receive-chunk room to the next read.
   */
  lend(use: (frame: Uint8Array) => boolean): void {
    this.#lending.use = use;
    this.#decoder.allocate = (size) => this.#lending.takeBody(size);
  }

  #frame(frame: Uint8Array): void {
    const size = frame.length;
    this.#repeatSize = size === this.#lastSize ? size : -1;
    this.#lastSize = size;
    if (this.#lending.offer(frame, this.#chunk)) return;
    this.#onFrame(frame);
  }

  /** Most reads end on a frame boundary: the budget is touched only around partial frames. */
  #afterRead(): void {
    const pending = this.#decoder.pendingBytes;
    if (pending !== 0 || this.#hadPartial) {
      this.#hadPartial = pending !== 0;
      this.#budget.update(pending);
    }
  }

  /** Bad length, stalled or refused partial frame: drop what was assembled, read no more. */
  fail(err: Error): void {
    this.#decoder.discard();
    this.#given = undefined;
    this.#budget.release();
    this.#onFailed(err);
  }

  /** The connection is gone: its partial frame's share of the budget goes back. */
  release(): void {
    this.#given = undefined;
    this.#budget.release();
  }
}

/**
 * A socket's `onread` option bound later to the connection's `FrameInput`: the socket is made
 * (and connected, paused) before its connection exists. Until bound, nothing is read.
 *
 * @example
 * ```ts
 * const into = new ReadInto();
 * const socket = createConnection({ path, onread: into.onread });
 * socket.pause();                     // reads start when the connection resumes it
 * new StreamConnection(socket, socket, { maxFrameSize, readInto: into });
 * ```
 */
export class ReadInto {
  #input: FrameInput | undefined;
  /** The buffer Node asks for when the socket is made, before `bind`: read into once, never again. */
  #spare: Uint8Array | undefined;
  /** The `onread` option of `net.createConnection`. */
  readonly onread = {
    buffer: (): Uint8Array => this.#input?.readBuffer() ?? (this.#spare = uninitialized(READ_CHUNK)),
    callback: (n: number, buf: Uint8Array): boolean => {
      if (buf === this.#spare) {
        this.#spare = undefined;
        this.#input?.push(view(buf, 0, n));
      } else {
        this.#input?.onRead(n, buf);
      }
      // Reading is paused and resumed by the connection (pause(), resume()), never here.
      return true;
    },
  };

  /** Reads go to `input` from now on. */
  bind(input: FrameInput): void {
    this.#input = input;
  }

  /** Frames are lent to `use` first (`FrameInput.lend`); false when no input is bound yet. */
  lend(use: (frame: Uint8Array) => boolean): boolean {
    this.#input?.lend(use);
    return this.#input !== undefined;
  }
}
