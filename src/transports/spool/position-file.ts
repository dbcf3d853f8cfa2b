/**
 * A 64-bit position in a 16-byte file (u64 position, u32 crc32 of those 8 bytes, u32 zero,
 * little-endian): the log's committed end (`head`) and each consumer's committed offset. One
 * 16-byte `pwrite` updates it; a reader that sees a torn value (crc mismatch) reads again.
 * @module
 */
import { closeSync, constants, openSync, readSync, writeSync, fsync } from 'node:fs';
import { crc32 } from './crc32.js';

export class PositionFile {
  readonly path: string;
  readonly #fd: number;
  readonly #buf = Buffer.alloc(16);

  /** Opens (creating with `initial` when missing) the position file at `path`. */
  constructor(path: string, mode: number, initial?: number) {
    this.path = path;
    const { O_RDWR, O_CREAT, O_NOFOLLOW } = constants;
    this.#fd = openSync(path, O_RDWR | O_NOFOLLOW | (initial === undefined ? 0 : O_CREAT), mode);
    if (initial !== undefined && this.read() === undefined && readSync(this.#fd, Buffer.alloc(16), 0, 16, 0) === 0) {
      this.write(initial);
    }
  }

  /** The stored position, or undefined when the file is empty or torn. */
  read(): number | undefined {
    for (let attempt = 0; attempt < 3; attempt++) {
      const n = readSync(this.#fd, this.#buf, 0, 16, 0);
      if (n < 16) return undefined;
      const pos = this.#buf.readBigUInt64LE(0);
      if (crc32(this.#buf.subarray(0, 8)) === this.#buf.readUInt32LE(8)) return Number(pos);
    }
    return undefined;
  }

  write(pos: number): void {
    const b = Buffer.alloc(16);
    b.writeBigUInt64LE(BigInt(pos), 0);
    b.writeUInt32LE(crc32(b.subarray(0, 8)), 8);
    writeSync(this.#fd, b, 0, 16, 0);
  }

  /** fsync on the thread pool (a brief, bounded use of one thread). */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.#fd, (err) => (err ? reject(err) : resolve())));
  }

  close(): void {
    closeSync(this.#fd);
  }
}
