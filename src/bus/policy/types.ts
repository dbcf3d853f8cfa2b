/**
 * Shapes of a hub policy: the JSON document as written, and what it compiles to.
 * @module
 */

/** What a peer wants to do with a subject. */
export type PolicyAction = 'publish' | 'subscribe';

/** Allow and deny lists of subject patterns (NATS grammar: `*` one token, `>` the rest). */
export interface PolicyLists {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
}

/** The rules of one user, one group, or the default. */
export interface PolicyEntry {
  readonly publish?: PolicyLists;
  readonly subscribe?: PolicyLists;
}

/**
 * A policy document (the JSON file given to `unibus hub --policy`).
 * @example
 * ```json
 * { "default": { "publish": { "deny": [">"] }, "subscribe": { "allow": ["status.*"] } },
 *   "users":   { "billing": { "publish": { "allow": ["invoices.>"] } } },
 *   "groups":  { "ops": { "subscribe": { "allow": [">"] } } } }
 * ```
 */
export interface PolicyDocument {
  readonly default?: PolicyEntry;
  /** Keys: user names or numeric uids. */
  readonly users?: Readonly<Record<string, PolicyEntry>>;
  /** Keys: group names or numeric gids. */
  readonly groups?: Readonly<Record<string, PolicyEntry>>;
}

/** One compiled pattern of one list, with the name that error messages and events show. */
export interface Rule {
  /** Where it was written, e.g. `users.billing.publish.allow[0]`. */
  readonly name: string;
  readonly pattern: string;
  readonly tokens: readonly string[];
}

/** Compiled allow and deny rules for one action. */
export interface RuleSet {
  readonly allow: readonly Rule[];
  readonly deny: readonly Rule[];
}

/** One entry (user, group or default) compiled. */
export interface CompiledEntry {
  readonly publish: RuleSet;
  readonly subscribe: RuleSet;
}

/** A document with names resolved to ids and patterns compiled. */
export interface CompiledPolicy {
  readonly default: CompiledEntry;
  readonly users: ReadonlyMap<number, CompiledEntry>;
  readonly groups: ReadonlyMap<number, CompiledEntry>;
}

/** Who a peer is, as the kernel says (uid, gid) plus the user's groups from the account files. */
export interface PeerIdentity {
  readonly uid: number;
  readonly gid: number;
  /** Every gid the peer counts as a member of (its gid included). */
  readonly groups: readonly number[];
}

/** One action's rules for a peer: its user's and groups' merged, and the default's (the fallback). */
export interface LayeredRules {
  readonly own: RuleSet;
  readonly fallback: RuleSet;
}

/** The merged rules of one peer: its user's and its groups' (deny wins among them), then the default. */
export interface PeerRights {
  readonly identity: PeerIdentity;
  readonly publish: LayeredRules;
  readonly subscribe: LayeredRules;
}

/** The answer of `decide`: allowed or not, and the rule that decided (or why none did). */
export interface Decision {
  readonly allowed: boolean;
  /** The deciding rule's name, e.g. `users.billing.subscribe.deny[0] "payroll.>"`, or `no rule allows`. */
  readonly rule: string;
  /**
   * Subscribe only: deny rules that overlap an allowed pattern without covering it (`>` allowed,
   * `payroll.>` denied). Messages on topics they match are not delivered to that subscription.
   */
  readonly except?: readonly Rule[];
}
