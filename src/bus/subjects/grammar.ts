/**
 * Topic and pattern grammar (NATS subjects): dot-separated non-empty tokens of printable
 * characters without whitespace; in patterns `*` matches exactly one token and `>` (last token
 * only) matches one or more. Topics you publish to contain no wildcards. The same check runs on
 * every transport, so a topic that works on `unix://` works on `nats://`.
 * @module
 */
import { InvalidTopicError } from '../../errors.js';

const MAX_LENGTH = 1024;
const BAD_CHARS = /[\s\0]/;

/** The last topic found valid: publishers and hubs see the same topic again and again. */
let lastValid = '';

/** Throws `InvalidTopicError` unless `topic` is a valid topic to publish to. */
export function checkTopic(topic: string): void {
  if (topic === lastValid) return;
  checkTopicUncached(topic);
  lastValid = topic;
}

function checkTopicUncached(topic: string): void {
  if (typeof topic !== 'string') throw new InvalidTopicError(String(topic), 'a topic is a string');
  if (topic.length === 0 || topic.length > MAX_LENGTH) throw new InvalidTopicError(topic, `length must be 1-${MAX_LENGTH}`);
  if (BAD_CHARS.test(topic)) throw new InvalidTopicError(topic, 'whitespace and NUL are not allowed');
  let start = 0;
  for (let i = 0; i <= topic.length; i++) {
    if (i === topic.length || topic.charCodeAt(i) === 46 /* . */) {
      if (i === start) throw new InvalidTopicError(topic, 'empty token');
      const len = i - start;
      if (len === 1 && (topic[start] === '*' || topic[start] === '>')) {
        throw new InvalidTopicError(topic, 'wildcards are for subscriptions; publish to a concrete topic');
      }
      start = i + 1;
    }
  }
}

/** Throws `InvalidTopicError` unless `pattern` is a valid subscription pattern. */
export function checkPattern(pattern: string): string[] {
  if (typeof pattern !== 'string') throw new InvalidTopicError(String(pattern), 'a pattern is a string');
  if (pattern.length === 0 || pattern.length > MAX_LENGTH) throw new InvalidTopicError(pattern, `length must be 1-${MAX_LENGTH}`);
  if (BAD_CHARS.test(pattern)) throw new InvalidTopicError(pattern, 'whitespace and NUL are not allowed');
  const tokens = pattern.split('.');
  tokens.forEach((t, i) => {
    if (t.length === 0) throw new InvalidTopicError(pattern, 'empty token');
    if (t === '>' && i !== tokens.length - 1) throw new InvalidTopicError(pattern, "'>' must be the last token");
    if (t.length > 1 && (t.includes('*') || t.includes('>'))) {
      throw new InvalidTopicError(pattern, 'wildcards must be whole tokens');
    }
  });
  return tokens;
}

/** True when `topic` matches `pattern` (both already valid). */
export function matches(pattern: string, topic: string): boolean {
  const p = pattern.split('.');
  const t = topic.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return t.length > i;
    if (i >= t.length) return false;
    if (p[i] !== '*' && p[i] !== t[i]) return false;
  }
  return p.length === t.length;
}
