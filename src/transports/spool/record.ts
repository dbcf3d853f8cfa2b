/**
 * Spool record layout (little-endian), written once. Records start 8-byte aligned so a reader
 * can resynchronise after a corrupt record by trying each aligned position.
 * ```
 *  0        4                8            12           16
 *  +--------+----------------+------------+------------+---------------------+-------+
 *  | magic  | flags|length   | payload crc| header crc | payload (length B)  | pad→8 |
 *  +--------+----------------+------------+------------+---------------------+-------+
 * ```
 * - magic `0x50534255` ("UBSP" read as bytes).
 * - bit 31 of the length word marks a control record (session start, clean close, hub start);
 *   the low 31 bits are the payload length, so a zero-byte frame is representable.
 * - header crc covers bytes 0..11; payload crc covers the payload. A record counts only when
 *   both match.
 * @module
 */
import { crc32 } from './crc32.js';

export const MAGIC = 0x50534255;
export const HEADER_BYTES = 16;
export const CONTROL_BIT = 0x80000000;
const LENGTH_MASK = 0x7fffffff;

/** Bytes a record of `len` payload bytes takes, padding included. */
export function recordSize(len: number): number {
  return (HEADER_BYTES + len + 7) & ~7;
}

/** The header of a record whose payload is `chunks` (`size` bytes in total). */
export function encodeHeader(chunks: readonly Uint8Array[], size: number, control = false): Buffer {
  let crc = 0;
  for (const c of chunks) crc = crc32(c, crc);
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(MAGIC, 0);
  h.writeUInt32LE((size | (control ? CONTROL_BIT : 0)) >>> 0, 4);
  h.writeUInt32LE(crc >>> 0, 8);
  h.writeUInt32LE(crc32(h.subarray(0, 12)), 12);
  return h;
}

const PADDING = Buffer.alloc(8);
/** Zero bytes that pad a record of `len` payload bytes to 8-byte alignment. */
export function padding(len: number): Buffer {
  return PADDING.subarray(0, recordSize(len) - HEADER_BYTES - len);
}

/** What `parseRecord` found at an offset of a buffer. */
export type Parsed =
  | { kind: 'record'; payload: Uint8Array; control: boolean; size: number }
  /** Not enough bytes for a whole record (needs `need` bytes from `at`). */
  | { kind: 'short'; need: number }
  | { kind: 'corrupt' };

/** Reads the record at `at` of `buf`, checking magic and both checksums. */
export function parseRecord(buf: Buffer, at: number, end: number, maxPayload: number): Parsed {
  if (end - at < HEADER_BYTES) return { kind: 'short', need: HEADER_BYTES };
  if (buf.readUInt32LE(at) !== MAGIC) return { kind: 'corrupt' };
  if (buf.readUInt32LE(at + 12) !== crc32(buf.subarray(at, at + 12))) return { kind: 'corrupt' };
  const word = buf.readUInt32LE(at + 4);
  const len = word & LENGTH_MASK;
  if (len > maxPayload) return { kind: 'corrupt' };
  const size = recordSize(len);
  if (end - at < size) return { kind: 'short', need: size };
  const payload = buf.subarray(at + HEADER_BYTES, at + HEADER_BYTES + len);
  if (crc32(payload) !== buf.readUInt32LE(at + 8)) return { kind: 'corrupt' };
  return { kind: 'record', payload, control: (word & CONTROL_BIT) !== 0, size };
}
