/**
 * The length-prefix decoder assembles a frame that spans chunks into one buffer allocated at
 * its announced length, copying each chunk in as it arrives: once `push()` returns it holds no
 * chunk (only whole frames delivered from a chunk are views of it), whatever the chunking.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { LengthPrefixDecoder, writeLength } from '../../../src/transports/framing/length-prefix.js';

function stream(sizes: readonly number[]): { bytes: Uint8Array; frames: Uint8Array[] } {
  const frames = sizes.map((n, i) => Uint8Array.from({ length: n }, (_, k) => (i * 31 + k * 7) & 0xff));
  const bytes = new Uint8Array(frames.reduce((n, f) => n + 4 + f.length, 0));
  let at = 0;
  for (const f of frames) { writeLength(bytes, at, f.length); bytes.set(f, at + 4); at += 4 + f.length; }
  return { bytes, frames };
}

test('frames spanning chunks survive the chunks being reused after push()', () => {
  const { bytes, frames } = stream([0, 5, 70_000, 3, 1_000_000, 0, 65_536, 2]);
  for (const cut of [1, 3, 4, 7, 4096, 65_536, 100_000]) {
    const got: Uint8Array[] = [];
    const copiedWhole: boolean[] = [];
    // One reused read buffer, as a transport that reads into the same memory would have.
    const reused = new Uint8Array(cut);
    const decoder = new LengthPrefixDecoder(16 * 1024 * 1024, (f) => {
      // Frames delivered as views of the read buffer are the receiver's to copy at once.
      copiedWhole.push(f.buffer === reused.buffer);
      got.push(f.buffer === reused.buffer ? f.slice() : f);
    });
    for (let at = 0; at < bytes.length; at += cut) {
      const n = Math.min(cut, bytes.length - at);
      reused.set(bytes.subarray(at, at + n));
      decoder.push(reused.subarray(0, n));
      reused.fill(0xee); // the transport reads the next bytes into the same memory
      assert.ok(decoder.pendingBytes <= 4 + 1_000_000, 'pending bytes are counted');
    }
    assert.is(got.length, frames.length, `cut=${cut}: every frame`);
    frames.forEach((f, i) => assert.equal(got[i], f, `cut=${cut}: frame ${i} intact`));
    assert.is(decoder.pendingBytes, 0);
  }
});

test('a partial header and a partial body count as pending; discard() forgets them', () => {
  const { bytes } = stream([10]);
  const got: Uint8Array[] = [];
  const decoder = new LengthPrefixDecoder(100, (f) => got.push(f));
  decoder.push(bytes.subarray(0, 2));
  assert.is(decoder.pendingBytes, 2);
  decoder.push(bytes.subarray(2, 9));
  assert.is(decoder.pendingBytes, 9);
  decoder.discard();
  assert.is(decoder.pendingBytes, 0);
  decoder.push(bytes);
  assert.is(got.length, 1);
  assert.is(got[0]!.length, 10);
});

test.run();
