/**
 * Pattern algebra for the policy: does one pattern cover another (every topic the second
 * matches, the first matches too), do two overlap (some topic matches both), does a pattern
 * match a topic. Patterns are token arrays in the NATS grammar (`*` one token, `>` one or more,
 * last only), already checked by `checkPattern`.
 * @module
 */

/** True when every topic matching `inner` also matches `outer`. */
export function covers(outer: readonly string[], inner: readonly string[]): boolean {
  for (let i = 0; i < outer.length; i++) {
    const o = outer[i]!;
    if (o === '>') return inner.length > i;
    if (i >= inner.length) return false;
    const t = inner[i]!;
    if (t === '>') return false;
    if (o === '*') continue;
    if (t === '*' || t !== o) return false;
  }
  return outer.length === inner.length;
}

/** True when some topic matches both patterns. */
export function overlaps(a: readonly string[], b: readonly string[]): boolean {
  for (let i = 0; ; i++) {
    if (i >= a.length || i >= b.length) return a.length === b.length;
    const x = a[i]!;
    const y = b[i]!;
    if (x === '>' || y === '>') return true;
    if (x !== '*' && y !== '*' && x !== y) return false;
  }
}

/** True when the concrete `topic` (split on dots) matches `pattern`. */
export function matchesTopic(pattern: readonly string[], topic: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '>') return topic.length > i;
    if (i >= topic.length) return false;
    if (p !== '*' && p !== topic[i]) return false;
  }
  return pattern.length === topic.length;
}
