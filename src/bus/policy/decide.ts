/**
 * The decision, pure and synchronous. A peer's own rules are its user's and its groups' merged:
 * among them a matching deny wins over any allow. The default is the fallback: it decides only
 * subjects about which the peer's own rules say nothing. Nothing allowed is denied.
 *
 * So the issue's example works as written: a default `publish.deny [">"]` forbids publishing to
 * everyone, and `users.billing.publish.allow ["invoices.>"]` lets billing publish invoices.
 *
 * - publish: the topic is matched against the peer's own deny, own allow, default deny,
 *   default allow, in this order; the first match decides.
 * - subscribe: the same with "lies within" instead of "matches": a pattern must lie within an
 *   allow pattern (every topic it can match is allowed). A deny that only overlaps an allowed
 *   pattern (`>` allowed, `payroll.>` denied) does not refuse it; it filters: messages on
 *   those topics are never delivered to that subscription (`Decision.except`).
 * @module
 */
import { covers, matchesTopic, overlaps } from './patterns.js';
import type {
  CompiledEntry, CompiledPolicy, Decision, LayeredRules, PeerIdentity, PeerRights, PolicyAction, Rule,
} from './types.js';

/** Name of the decision when no rule allows (the policy is default-deny). */
export const NO_RULE = 'no rule allows';

/** The rules that apply to `identity`: its user's and its groups' merged, and the default. */
export function rightsFor(policy: CompiledPolicy, identity: PeerIdentity): PeerRights {
  const own: CompiledEntry[] = [];
  const user = policy.users.get(identity.uid);
  if (user) own.push(user);
  for (const gid of identity.groups) {
    const g = policy.groups.get(gid);
    if (g && !own.includes(g)) own.push(g);
  }
  const layer = (action: PolicyAction): LayeredRules => ({
    own: { allow: own.flatMap((e) => e[action].allow), deny: own.flatMap((e) => e[action].deny) },
    fallback: policy.default[action],
  });
  return { identity, publish: layer('publish'), subscribe: layer('subscribe') };
}

/**
 * May the peer with `rights` publish to the topic `subject` / subscribe to the pattern `subject`?
 * @example
 * ```ts
 * decide(rights, 'publish', 'invoices.2024.7') // { allowed: true, rule: 'users.billing.publish.allow[0] "invoices.>"' }
 * ```
 */
export function decide(rights: PeerRights, action: PolicyAction, subject: string): Decision {
  const tokens = subject.split('.');
  const { own, fallback } = rights[action];
  const test = action === 'publish'
    ? (r: Rule): boolean => matchesTopic(r.tokens, tokens)
    : (r: Rule): boolean => covers(r.tokens, tokens);
  let layers = [own];
  for (const set of [own, fallback]) {
    const deny = set.deny.find(test);
    if (deny) return { allowed: false, rule: deny.name };
    const allow = set.allow.find(test);
    if (allow) {
      if (action === 'publish') return { allowed: true, rule: allow.name };
      // Denies that cut into the allowed pattern filter it: the peer's own always, the
      // default's when the default is what allowed it.
      const except = layers.flatMap((l) => l.deny.filter((r) => overlaps(r.tokens, tokens)));
      return except.length > 0 ? { allowed: true, rule: allow.name, except } : { allowed: true, rule: allow.name };
    }
    layers = [own, fallback];
  }
  return { allowed: false, rule: NO_RULE };
}

/** True when one of `except` matches the topic: a filtered subscription skips that message. */
export function excluded(except: readonly Rule[], topic: string): boolean {
  const tokens = topic.split('.');
  return except.some((r) => matchesTopic(r.tokens, tokens));
}
