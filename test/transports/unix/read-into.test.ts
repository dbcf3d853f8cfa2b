/**
 * A connecting unix socket reads where its connection says (framing/frame-input.ts, Node's
 * `onread`): the rest of a large frame's body straight into the buffer that frame is delivered
 * in, everything else into receive chunks cut forward. Checked here: frames of every size and
 * split, kept by the receiver until the end, arrive intact and are never written again by later
 * reads; a pause in the middle of a large frame loses nothing; and the body of a large frame is
 * the very buffer reads went into (no copy).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { unixTransport } from '../../../src/transports/unix/unix-transport.js';
import type { Connection } from '../../../src/transports/transport.js';
import { FrameInput } from '../../../src/transports/framing/frame-input.js';
import { HEADER_BYTES, writeLength } from '../../../src/transports/framing/length-prefix.js';
import { uniqueName } from '../../helpers/run-id.js';
import { MiB, payload, same, pauseMidLargeFrame, sendInterleaved, sendRuns } from './read-into-frames.js';

/** The connecting side reads (it is the side with `onread`): the accepted side writes. */
async function pair(label: string): Promise<{ writer: Connection; reader: Connection; close(): Promise<void> }> {
  const url = `unix:///tmp/${uniqueName(label)}.sock`;
  const listener = await unixTransport.listen(url);
  const accepted = listener[Symbol.asyncIterator]();
  const reader = await unixTransport.connect(url);
  const writer = (await accepted.next()).value as Connection;
  return {
    writer, reader,
    close: async () => { await writer.close(); await reader.close(); await listener.close(); },
  };
}

test('frames of every size, interleaved, arrive intact and stay intact while kept', async () => {
  const { writer, reader, close } = await pair('readinto');
  try {
    await sendInterleaved(writer, reader);
  } finally {
    await close();
  }
});

test('runs of large frames of one size, each ended by a size guessed wrong, arrive intact', async () => {
  const { writer, reader, close } = await pair('readinto-runs');
  try {
    await sendRuns(writer, reader);
  } finally {
    await close();
  }
});

test('a pause in the middle of a large frame loses nothing', async () => {
  await pauseMidLargeFrame(await pair('readinto-pause'));
});

test('the rest of a large body is read straight into the buffer it is delivered in', () => {
  const frames: Uint8Array[] = [];
  const input = new FrameInput(8 * MiB, 30_000, (f) => frames.push(f), (err) => { throw err; });
  const body = payload(9, MiB);
  const wire = new Uint8Array(HEADER_BYTES + body.length + HEADER_BYTES + 3);
  writeLength(wire, 0, body.length);
  wire.set(body, HEADER_BYTES);
  writeLength(wire, HEADER_BYTES + body.length, 3);
  wire.set([1, 2, 3], 2 * HEADER_BYTES + body.length);
  // A medium that reads at most 50,000 bytes at a time into the buffer it is given.
  const targets = new Set<ArrayBufferLike>();
  let at = 0;
  while (at < wire.length) {
    const buf = input.readBuffer();
    const n = Math.min(buf.length, 50_000, wire.length - at);
    buf.set(wire.subarray(at, at + n));
    if (buf.length < MiB + HEADER_BYTES) targets.add(buf.buffer);
    input.onRead(n, buf);
    at += n;
  }
  assert.is(frames.length, 2);
  assert.ok(same(frames[0]!, body), 'the large frame intact');
  assert.equal([...frames[1]!], [1, 2, 3]);
  assert.ok(targets.has(frames[0]!.buffer), 'reads went into the delivered body itself');
  assert.is(input.pendingBytes, 0);
});

test.run();
