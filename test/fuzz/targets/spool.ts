/**
 * Spool records and the log reader over a corrupted segment file: whatever was torn, flipped or
 * cut, the reader delivers only records that were written (checksums), in order, reports the
 * rest as corruption, and never throws or loops.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeHeader, padding, parseRecord } from '../../../src/transports/spool/record.js';
import { LogReader } from '../../../src/transports/spool/log-reader.js';
import { createLog, segmentName } from '../../../src/transports/spool/log-writer.js';
import { PositionFile } from '../../../src/transports/spool/position-file.js';
import { decodeControl } from '../../../src/transports/spool/channel-layout.js';
import { expect, mutated, sameBytes, type FuzzTarget } from '../target.js';

const MAX_FRAME = 256;

function encodeRecords(payloads: readonly Uint8Array[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const p of payloads) parts.push(encodeHeader([p], p.length), p, padding(p.length));
  return Buffer.concat(parts);
}

const payloads = fc.array(fc.uint8Array({ maxLength: 120 }), { maxLength: 8 });

export interface SpoolInput { payloads: Uint8Array[]; segment: Uint8Array; head: number }

export const spoolRecords: FuzzTarget<Uint8Array> = {
  name: 'spool.parse-record',
  input: fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated(payloads.map(encodeRecords)), payloads.map(encodeRecords)),
  run(bytes) {
    const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    for (let at = 0; at < buf.length; at += 8) {
      const p = parseRecord(buf, at, buf.length, MAX_FRAME);
      if (p.kind === 'record') expect(p.payload.length <= MAX_FRAME && at + p.size <= buf.length, 'record runs past the buffer');
      else if (p.kind === 'short') expect(at + p.need > buf.length, 'short, but the bytes were there');
    }
    decodeControl(bytes);
  },
  typed: () => false,
};

let dir: string | undefined;

function logDir(): string {
  if (dir === undefined) {
    dir = mkdtempSync(join(tmpdir(), `unibus-fuzz-spool-${process.env.UNIBUS_TEST_RUN ?? 'run'}-`));
    createLog(dir, ['fuzz'], 0o600);
  }
  return dir;
}

export const spoolLog: FuzzTarget<SpoolInput> = {
  name: 'spool.log-reader',
  input: payloads.chain((ps) => {
    const valid = encodeRecords(ps);
    return fc.record({
      payloads: fc.constant(ps),
      segment: fc.oneof({ weight: 1, arbitrary: fc.constant(valid) }, { weight: 4, arbitrary: mutated(fc.constant(valid)) }),
      head: fc.oneof(fc.constant(valid.length), fc.nat(valid.length + 64)),
    });
  }),
  run({ payloads: written, segment, head }) {
    const d = logDir();
    writeFileSync(join(d, segmentName(0)), segment);
    const headFile = new PositionFile(join(d, 'head'), 0o600, 0);
    headFile.write(head);
    headFile.close();
    const offset = new PositionFile(join(d, 'consumers', 'fuzz'), 0o600);
    offset.write(0);
    offset.close();
    let corrupt = 0;
    const reader = new LogReader(d, 'fuzz', { mode: 0o600, maxFrameSize: MAX_FRAME, onCorrupt: () => { corrupt++; } });
    const got: Uint8Array[] = [];
    try {
      for (let round = 0; round < 200; round++) {
        const records = reader.read(64);
        if (records.length === 0) break;
        for (const r of records) if (!r.control) got.push(Uint8Array.from(r.payload));
      }
      expect(reader.position <= Math.min(head, segment.length), `position ${reader.position} past the committed head ${head} or the file (${segment.length} bytes)`);
    } finally {
      reader.close();
    }
    // Only what was written, in order (a subsequence: corrupt records are skipped, not invented).
    let w = 0;
    for (const g of got) {
      while (w < written.length && !sameBytes(written[w]!, g)) w++;
      expect(w < written.length, 'the reader delivered a record that was never written');
      w++;
    }
  },
  typed: () => false,
  cleanup() {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  },
};
