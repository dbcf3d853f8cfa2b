/**
 * Strict comparison of decoded values, for checking a decoder against msgpackr: the same types
 * and prototypes, numbers by `Object.is` (NaN, -0), object keys in the same order (they decide
 * what a re-encoding writes), byte arrays by content and by the memory they view.
 */

/** Where `a` and `b` differ (a path and what), or undefined when they are the same. */
export function sameValue(a: unknown, b: unknown, path = '$'): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} against ${typeof b}`;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') {
    return Object.is(a, b) ? undefined : `${path}: ${String(a)} against ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: prototypes differ`;
  if (a instanceof Uint8Array) {
    const y = b as Uint8Array;
    if (a.length !== y.length || a.some((x, i) => x !== y[i])) return `${path}: bytes differ`;
    return a.buffer === y.buffer && a.byteOffset === y.byteOffset ? undefined : `${path}: views other memory`;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length || ka.some((k, i) => k !== kb[i])) return `${path}: keys ${JSON.stringify(ka)} against ${JSON.stringify(kb)}`;
  if (Array.isArray(a) && a.length !== (b as unknown[]).length) return `${path}: lengths differ`;
  for (const k of ka) {
    const d = sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d !== undefined) return d;
  }
  return undefined;
}
