/**
 * The decision, pure and synchronous: a peer's rights are its user's, its groups' and the
 * default rules merged; any matching deny wins over any allow; nothing allowed is denied.
 *
 * - publish: the topic must match an allow pattern and no deny pattern.
 * - subscribe: the pattern must lie within an allow pattern (every topic it can match is
 *   allowed) and within no deny pattern. A deny that only overlaps it (`>` allowed,
 *   `payroll.>` denied) does not refuse the subscription; it filters: those messages are
 *   never delivered to it (`Decision.except`).
 * @module
 */
import { covers, matchesTopic, overlaps } from './patterns.js';
import type { CompiledEntry, CompiledPolicy, Decision, PeerIdentity, PeerRights, PolicyAction, Rule } from './types.js';

/** Name of the decision when no rule allows (the policy is default-deny). */
export const NO_RULE = 'no rule allows';

/** Merges the rules that apply to `identity`: user first, then groups, then default (order only affects which rule is named). */
export function rightsFor(policy: CompiledPolicy, identity: PeerIdentity): PeerRights {
  const entries: CompiledEntry[] = [];
  const user = policy.users.get(identity.uid);
  if (user) entries.push(user);
  for (const gid of identity.groups) {
    const g = policy.groups.get(gid);
    if (g && !entries.includes(g)) entries.push(g);
  }
  entries.push(policy.default);
  const merge = (action: PolicyAction): PeerRights['publish'] => ({
    allow: entries.flatMap((e) => e[action].allow),
    deny: entries.flatMap((e) => e[action].deny),
  });
  return { identity, publish: merge('publish'), subscribe: merge('subscribe') };
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
  const set = rights[action];
  if (action === 'publish') {
    const deny = set.deny.find((r) => matchesTopic(r.tokens, tokens));
    if (deny) return { allowed: false, rule: deny.name };
    const allow = set.allow.find((r) => matchesTopic(r.tokens, tokens));
    return allow ? { allowed: true, rule: allow.name } : { allowed: false, rule: NO_RULE };
  }
  const deny = set.deny.find((r) => covers(r.tokens, tokens));
  if (deny) return { allowed: false, rule: deny.name };
  const allow = set.allow.find((r) => covers(r.tokens, tokens));
  if (!allow) return { allowed: false, rule: NO_RULE };
  const except: Rule[] = set.deny.filter((r) => overlaps(r.tokens, tokens));
  return except.length > 0 ? { allowed: true, rule: allow.name, except } : { allowed: true, rule: allow.name };
}

/** True when one of `except` matches the topic: a filtered subscription skips that message. */
export function excluded(except: readonly Rule[], topic: string): boolean {
  const tokens = topic.split('.');
  return except.some((r) => matchesTopic(r.tokens, tokens));
}
