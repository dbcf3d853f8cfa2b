/**
 * What a fuzz target is: an input generator, a run that either returns (the input was handled:
 * a correct value, checked by the run itself) or throws, and the rule saying which thrown errors
 * are the parser's documented, typed rejections. Anything else thrown is a crash.
 * The same targets run in `npm test` (few thousand cases) and in `npm run fuzz` (>= 100k).
 * @module
 */
import fc from 'fast-check';

export interface FuzzTarget<T = unknown> {
  /** Short, stable name (the fuzz report and `--targets` use it). */
  readonly name: string;
  /** Inputs: arbitrary bytes, mutated valid encodings, valid values for round trips. */
  readonly input: fc.Arbitrary<T>;
  /** Handles one input; throws a typed error to reject it, a `PropertyFailure` for a wrong value. */
  run(input: T): void;
  /** True for the errors this parser documents as its rejections (strict: class, not message). */
  typed(err: unknown): boolean;
  /** Inputs that once failed (kept as regression cases, run first every time). */
  readonly regressions?: readonly T[];
  /** Removes what the runs made (temp files); called once after the last case. */
  cleanup?(): void;
}

/** A handled input produced a wrong value (a round trip that did not come back, for example). */
export class PropertyFailure extends Error {
  override name = 'PropertyFailure';
}

/** Throws `PropertyFailure` unless `ok`. */
export function expect(ok: boolean, what: string): void {
  if (!ok) throw new PropertyFailure(what);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Values a length or count field is most likely to break at. */
const EDGE_U32 = [0, 1, 7, 8, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

type Mutation =
  | { k: 'flip'; at: number; bit: number }
  | { k: 'set'; at: number; value: number }
  | { k: 'u32'; at: number; value: number; le: boolean }
  | { k: 'insert'; at: number; bytes: Uint8Array }
  | { k: 'delete'; at: number; n: number }
  | { k: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ k: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ k: fc.constant('set' as const), at: fc.nat(), value: fc.oneof(fc.constantFrom(0, 0x7f, 0x80, 0xc0, 0xc1, 0xc4, 0xc6, 0xd9, 0xdc, 0xdd, 0xff), fc.integer({ min: 0, max: 255 })) }),
  fc.record({ k: fc.constant('u32' as const), at: fc.nat(), value: fc.constantFrom(...EDGE_U32), le: fc.boolean() }),
  fc.record({ k: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ k: fc.constant('delete' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ k: fc.constant('truncate' as const), at: fc.nat() }),
);

function apply(bytes: Uint8Array, muts: readonly Mutation[]): Uint8Array {
  let b = Uint8Array.from(bytes);
  for (const m of muts) {
    const at = b.length === 0 ? 0 : m.at % (b.length + 1);
    switch (m.k) {
      case 'flip': if (at < b.length) b[at]! ^= 1 << m.bit; break;
      case 'set': if (at < b.length) b[at] = m.value; break;
      case 'u32':
        for (let i = 0; i < 4 && at + i < b.length; i++) b[at + i] = (m.value >>> (m.le ? 8 * i : 24 - 8 * i)) & 0xff;
        break;
      case 'insert': { const o = new Uint8Array(b.length + m.bytes.length); o.set(b.subarray(0, at)); o.set(m.bytes, at); o.set(b.subarray(at), at + m.bytes.length); b = o; break; }
      case 'delete': { const rest = b.subarray(Math.min(b.length, at + m.n)); const o = new Uint8Array(at + rest.length); o.set(b.subarray(0, at)); o.set(rest, at); b = o; break; }
      case 'truncate': b = b.subarray(0, at); break;
    }
  }
  return b;
}

/** Valid encodings from `valid`, each with 1-4 mutations (bit flips, edge lengths, cuts, inserts). */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc.tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([b, m]) => apply(b, m));
}

/** The three kinds of byte input every binary target draws from. */
export function bytesInput(valid: fc.Arbitrary<Uint8Array>, maxLength = 512): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 2, arbitrary: fc.uint8Array({ maxLength }) },
    { weight: 5, arbitrary: mutated(valid) },
    { weight: 2, arbitrary: valid },
  );
}

/** Error classes as a typed-rejection rule. */
export function instanceOfAny(...classes: Array<abstract new (...args: never[]) => Error>): (err: unknown) => boolean {
  return (err) => classes.some((c) => err instanceof c);
}
