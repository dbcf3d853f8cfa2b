/**
 * Policy document → CompiledPolicy: every key checked (an unknown key is an error, so a typo
 * never silently changes what is allowed), every pattern checked with the subject grammar,
 * user and group names resolved to ids. Errors are `PolicyError`s naming the bad key.
 * @module
 */
import { PolicyError } from '../../errors.js';
import { checkPattern } from '../subjects/grammar.js';
import type { Accounts } from './accounts.js';
import type { CompiledEntry, CompiledPolicy, Rule, RuleSet } from './types.js';

const TOP_KEYS = ['default', 'users', 'groups'];
const ENTRY_KEYS = ['publish', 'subscribe'];
const LIST_KEYS = ['allow', 'deny'];

/** Parses JSON text into a document (syntax errors become `PolicyError`). */
export function parsePolicy(text: string, source = 'policy'): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PolicyError('', `${source} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

/** Checks and compiles a document; names resolve through `accounts`. */
export function compilePolicy(doc: unknown, accounts: Accounts): CompiledPolicy {
  const top = object(doc, '(top level)');
  onlyKeys(top, TOP_KEYS, '');
  const users = new Map<number, CompiledEntry>();
  const groups = new Map<number, CompiledEntry>();
  for (const [kind, into, resolve] of [
    ['users', users, (k: string) => accounts.uid(k)],
    ['groups', groups, (k: string) => accounts.gid(k)],
  ] as const) {
    if (top[kind] === undefined) continue;
    const table = object(top[kind], kind);
    for (const [key, value] of Object.entries(table)) {
      const id = resolve(key);
      const at = `${kind}.${key}`;
      if (id === undefined) throw new PolicyError(at, `no such ${kind === 'users' ? 'user' : 'group'} on this machine`);
      if (into.has(id)) throw new PolicyError(at, `${kind === 'users' ? 'uid' : 'gid'}=${id} is given twice`);
      into.set(id, entry(value, at));
    }
  }
  return { default: top.default === undefined ? EMPTY_ENTRY : entry(top.default, 'default'), users, groups };
}

const EMPTY_SET: RuleSet = { allow: [], deny: [] };
const EMPTY_ENTRY: CompiledEntry = { publish: EMPTY_SET, subscribe: EMPTY_SET };

function entry(value: unknown, at: string): CompiledEntry {
  const e = object(value, at);
  onlyKeys(e, ENTRY_KEYS, at);
  return { publish: ruleSet(e.publish, `${at}.publish`), subscribe: ruleSet(e.subscribe, `${at}.subscribe`) };
}

function ruleSet(value: unknown, at: string): RuleSet {
  if (value === undefined) return EMPTY_SET;
  const lists = object(value, at);
  onlyKeys(lists, LIST_KEYS, at);
  return { allow: rules(lists.allow, `${at}.allow`), deny: rules(lists.deny, `${at}.deny`) };
}

function rules(value: unknown, at: string): Rule[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new PolicyError(at, 'must be an array of subject patterns');
  return value.map((pattern: unknown, i) => {
    const name = `${at}[${i}]`;
    if (typeof pattern !== 'string') throw new PolicyError(name, 'must be a string (a subject pattern)');
    let tokens: string[];
    try {
      tokens = checkPattern(pattern);
    } catch (err) {
      throw new PolicyError(name, `${JSON.stringify(pattern)} is not a valid pattern: ${(err as Error).message}`);
    }
    return { name: `${name} ${JSON.stringify(pattern)}`, pattern, tokens };
  });
}

function object(value: unknown, at: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new PolicyError(at, 'must be an object');
  return value as Record<string, unknown>;
}

function onlyKeys(o: Record<string, unknown>, allowed: readonly string[], at: string): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw new PolicyError(at ? `${at}.${k}` : k, `unknown key (expected one of ${allowed.join(', ')})`);
    }
  }
}
