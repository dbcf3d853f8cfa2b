/**
 * The hub's records of what it is routing (./hub-samples.ts): one sample ({@link Active}) or one
 * batch ({@link BatchActive}, ./batch.ts). A batch's record holds the samples that passed their
 * checks, the frame forwarded as it is to receivers that read batches, and, made at most once per
 * batch and only when a receiver needs them, the same samples one per PUB (a receiver of earlier
 * code, which holds a lane but never asked for batches) or as `raw` copies (no lane).
 * @module
 */
import { rawCodec } from '../codecs/index.js';
import type { Pub } from '../bus/protocol/messages.js';
import { PubEncoder } from '../bus/protocol/pub-encoder.js';
import { FramePub } from '../bus/protocol/pub-decoder.js';
import { DescribedFramePub, encodeDescriptor, SAMPLE_CODEC, type SampleDescriptor } from './descriptor.js';
import { BatchWriter, SAMPLE_BATCH_CODEC, type BatchRead } from './batch.js';
import type { PoolView } from './pool-reader.js';

/**
 * The sample being routed. One record, reused for every sample (routing is synchronous and never
 * nested: a sample PUB met while one is routed takes the router's ordinary path): an object per
 * sample was the hub's largest allocation of a relayed sample.
 */
export class Active {
  view: PoolView | undefined;
  block = 0;
  length = 0;
  generation = 0;
  /** The pool's name as the descriptor gave it. */
  pool = '';
  /** As the router got it: whole, or in chunks (the hub's own publish, ../bus/hub/local-route.ts). */
  frame: Uint8Array | Uint8Array[] | undefined;
  pub: Pub | undefined;
  copyFrame: Uint8Array | undefined;
  copyPub: Pub | undefined;
  localPub: Pub | undefined;

  start(view: PoolView, d: SampleDescriptor, frame: Uint8Array | Uint8Array[], pub: Pub): void {
    this.view = view;
    this.block = d.block;
    this.length = d.length;
    this.generation = d.generation;
    this.pool = d.pool;
    this.frame = frame;
    this.pub = pub;
  }

  /** The sample as an ordinary `raw` PUB (made once per routed sample). */
  copy(): { frame: Uint8Array; pub: Pub } {
    if (!this.copyFrame) {
      const bytes = this.view!.sampleBytes(this.block, this.length).slice();
      const p = this.pub!;
      const chunks = new PubEncoder(p.publisher).encode(p.topic, rawCodec.id, p.seq, bytes, p.replyTo, p.headers);
      this.copyFrame = chunks instanceof Uint8Array ? chunks.slice() : Buffer.concat(chunks);
      // Field by field: a received Pub may compute its payload from its frame (FramePub).
      this.copyPub = { topic: p.topic, codec: rawCodec.id, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload: bytes };
    }
    return { frame: this.copyFrame, pub: this.copyPub! };
  }

  /** Keeps nothing of the sample past its routing. */
  end(): void {
    this.view = this.frame = this.pub = this.copyFrame = this.copyPub = this.localPub = undefined;
  }
}

/** A PUB of the batch's samples split apart: its frame, and its Pub for the hub's own bus. */
export interface SplitPub {
  readonly frame: Uint8Array;
  readonly pub: Pub;
}

export class BatchActive {
  view: PoolView | undefined;
  pool = '';
  /** The samples that passed their checks: `blocks[0, count)` and the rest alike. */
  count = 0;
  readonly blocks: number[] = [];
  readonly lengths: number[] = [];
  readonly generations: number[] = [];
  /** As forwarded to receivers that read batches (the publisher's, or one without the refused samples). */
  frame: Uint8Array | Uint8Array[] | undefined;
  pub: Pub | undefined;
  #singles: SplitPub[] | undefined;
  #copies: SplitPub[] | undefined;
  /** What the hub's own bus got, when it reads batches. */
  localPub: (Pub & { lane: number }) | undefined;
  /** Per block of the pool: the batch it was last seen in (a block named twice in a batch is refused). */
  #seen = new Uint32Array(0);
  #stamp = 0;

  /** Starts a batch of `view` (its samples added by {@link add}). */
  start(view: PoolView, pool: string): void {
    this.view = view;
    this.pool = pool;
    this.count = 0;
    if (this.#seen.length < view.blocks) this.#seen = new Uint32Array(view.blocks);
    if (++this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 1;
    }
  }

  /**
   * Adds each sample of `read` that passes the checks a sample PUB gets (its block of this
   * generation and length, in flight) and is not named twice; returns those refused, or undefined.
   */
  admit(read: BatchRead): string[] | undefined {
    const view = this.view!;
    let refused: string[] | undefined;
    for (let i = 0; i < read.count; i++) {
      const block = read.blocks[i]!;
      const generation = read.generations[i]!;
      if (!view.matches(block, read.lengths[i]!, generation) || !view.heldBy(block, 0) || !this.#add(block, read.lengths[i]!, generation)) {
        (refused ??= []).push(`block=${block} generation=${generation}`);
      }
    }
    return refused;
  }

  /** Adds a sample that passed its checks; false when the batch named that block already. */
  #add(block: number, length: number, generation: number): boolean {
    if (this.#seen[block] === this.#stamp) return false;
    this.#seen[block] = this.#stamp;
    const i = this.count++;
    this.blocks[i] = block;
    this.lengths[i] = length;
    this.generations[i] = generation;
    return true;
  }

  /** The frame to forward: the publisher's when every sample passed, else one of the passed ones. */
  forward(frame: Uint8Array | Uint8Array[], pub: Pub, read: BatchRead): void {
    if (this.count === read.count) {
      this.frame = frame;
      this.pub = pub;
      return;
    }
    const runs = [];
    for (let i = 0; i < this.count; i++) runs.push({ block: this.blocks[i]!, length: this.lengths[i]!, generation: this.generations[i]! });
    const payload = new BatchWriter(this.pool).codec.encode({ runs, count: this.count });
    this.frame = encodeWhole(pub, SAMPLE_BATCH_CODEC, payload);
    this.pub = { topic: pub.topic, codec: SAMPLE_BATCH_CODEC, publisher: pub.publisher, seq: pub.seq, replyTo: pub.replyTo, headers: pub.headers, payload };
  }

  /** Bytes of the frame forwarded to receivers that read batches. */
  frameBytes(): number {
    const f = this.frame!;
    if (f instanceof Uint8Array) return f.length;
    let n = 0;
    for (let i = 0; i < f.length; i++) n += f[i]!.length;
    return n;
  }

  /** Sets `lane`'s bit on every sample of the batch (before its frame is handed to that receiver). */
  holdAll(lane: number): void {
    const view = this.view!;
    for (let i = 0; i < this.count; i++) view.holdLane(this.blocks[i]!, lane);
  }

  /** The samples as ordinary sample PUBs (codec 127), one each: for a receiver that reads no batches. */
  singles(): SplitPub[] {
    if (this.#singles) return this.#singles;
    const p = this.pub!;
    const out: SplitPub[] = [];
    for (let i = 0; i < this.count; i++) {
      const payload = encodeDescriptor({ pool: this.pool, block: this.blocks[i]!, length: this.lengths[i]!, generation: this.generations[i]! });
      out.push({
        frame: encodeWhole(p, SAMPLE_CODEC, payload),
        pub: { topic: p.topic, codec: SAMPLE_CODEC, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload },
      });
    }
    return (this.#singles = out);
  }

  /** The samples as `raw` copies, one PUB each: for a receiver without a lane. */
  copies(): SplitPub[] {
    if (this.#copies) return this.#copies;
    const p = this.pub!;
    const out: SplitPub[] = [];
    for (let i = 0; i < this.count; i++) {
      const payload = this.view!.sampleBytes(this.blocks[i]!, this.lengths[i]!).slice();
      out.push({
        frame: encodeWhole(p, rawCodec.id, payload),
        pub: { topic: p.topic, codec: rawCodec.id, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload },
      });
    }
    return (this.#copies = out);
  }

  /** Keeps nothing of the batch past its routing. */
  end(): void {
    this.view = this.frame = this.pub = this.localPub = this.#singles = this.#copies = undefined;
    this.count = 0;
  }
}

/** A PUB like `p` with another codec and payload, as one frame of its own. */
function encodeWhole(p: Pub, codec: number, payload: Uint8Array): Uint8Array {
  const chunks = new PubEncoder(p.publisher).encode(p.topic, codec, p.seq, payload, p.replyTo, p.headers);
  return chunks instanceof Uint8Array ? chunks.slice() : Buffer.concat(chunks);
}

/** A QPUB header (`[9, sids, bin32 length]`) with the length of another PUB frame. */
export function qpubHeaderFor(header: Uint8Array, length: number): Uint8Array {
  const out = header.slice();
  new DataView(out.buffer, out.byteOffset).setUint32(out.length - 4, length);
  return out;
}

/**
 * `pub` with the receiving lane attached (for the hub's own bus only). A frame's PUB stays one,
 * and carries the descriptor the router just read (./descriptor.ts DescribedFramePub: the
 * receiver does not read it again); a plain copy cut a payload view of the frame per sample.
 */
export function withLane(p: Pub, lane: number, d: SampleDescriptor): Pub & { lane: number } {
  if (p instanceof FramePub) return new DescribedFramePub(p, lane, d);
  return { topic: p.topic, codec: p.codec, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload: p.payload, lane };
}

/** A Pub's fields as a plain object (a received Pub may compute its payload from its frame: FramePub). */
export function fieldsOf(p: Pub): Pub {
  return { topic: p.topic, codec: p.codec, publisher: p.publisher, seq: p.seq, replyTo: p.replyTo, headers: p.headers, payload: p.payload };
}

/** True when `frame` (a write of the router's) is `routed`, alone or behind a QPUB header (whole or as its chunks). */
export function carries(routed: Uint8Array | Uint8Array[], frame: Uint8Array | Uint8Array[]): boolean {
  if (frame === routed) return true;
  const first = routed instanceof Uint8Array ? routed : routed[0];
  return Array.isArray(frame) && frame.length >= 2 && frame[1] === first;
}

/**
 * The batch's `frame` (`routed` alone, or behind a QPUB header) as `parts`, one PUB per sample:
 * all but the last handed to `write` (the router's write, which passes them through), the last
 * returned to the write that asked, so its result still says whether the peer took it.
 */
export function writeSplit(frame: Uint8Array | Uint8Array[], routed: Uint8Array | Uint8Array[], parts: readonly SplitPub[],
  write: (f: Uint8Array | Uint8Array[]) => void): Uint8Array | Uint8Array[] {
  const header = frame === routed ? undefined : (frame as Uint8Array[])[0]!;
  const wrap = (f: Uint8Array): Uint8Array | Uint8Array[] => (header ? [qpubHeaderFor(header, f.length), f] : f);
  for (let i = 0; i < parts.length - 1; i++) write(wrap(parts[i]!.frame));
  return wrap(parts[parts.length - 1]!.frame);
}
