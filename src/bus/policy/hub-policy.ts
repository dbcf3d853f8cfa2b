/**
 * HubPolicy: the policy a hub enforces, loaded from a document or a file, replaceable while the
 * hub runs (`reload()` on SIGHUP): the hub re-checks every connected peer and ends the
 * subscriptions the new rules forbid.
 * @module
 */
import { readFileSync } from 'node:fs';
import { PolicyError } from '../../errors.js';
import { Accounts, type AccountFiles } from './accounts.js';
import { compilePolicy, parsePolicy } from './compile.js';
import { decide, rightsFor } from './decide.js';
import type { CompiledPolicy, Decision, PeerIdentity, PeerRights, PolicyAction, PolicyDocument } from './types.js';

/** Where a HubPolicy comes from. */
export interface HubPolicyOptions {
  /** Account files to resolve names with (default /etc/passwd and /etc/group). */
  readonly accounts?: AccountFiles;
}

/**
 * Per-user topic permissions for a hub. Give it to `Bus.listen(url, { policy })`.
 * @example
 * ```ts
 * const policy = HubPolicy.fromFile('/etc/app/policy.json');
 * const hub = await Bus.listen('unix:///run/app.sock', { policy });
 * process.on('SIGHUP', () => policy.reload()); // re-reads the file; a bad file keeps the old rules
 * ```
 */
export class HubPolicy {
  #source: { readonly path: string } | { readonly doc: unknown };
  readonly #options: HubPolicyOptions;
  readonly #listeners = new Set<() => void>();
  #compiled!: CompiledPolicy;
  #accounts!: Accounts;

  private constructor(source: { path: string } | { doc: unknown }, options: HubPolicyOptions) {
    this.#source = source;
    this.#options = options;
    this.#load();
  }

  /** A policy from a document (checked now: `PolicyError` naming the bad key). */
  static from(doc: PolicyDocument, options: HubPolicyOptions = {}): HubPolicy {
    return new HubPolicy({ doc }, options);
  }

  /** A policy from a JSON file (read and checked now; `reload()` reads it again). */
  static fromFile(path: string, options: HubPolicyOptions = {}): HubPolicy {
    return new HubPolicy({ path }, options);
  }

  /**
   * Reads the file (or `doc`, given) and the account files again. On any error the old rules
   * stay in force and the error is thrown; on success every listener (the hub) re-checks.
   */
  reload(doc?: PolicyDocument): void {
    this.#load(doc);
    for (const l of this.#listeners) l();
  }

  /** Who a peer is: the kernel's uid and gid plus that user's groups from the account files. */
  identity(uid: number, gid: number): PeerIdentity {
    return { uid, gid, groups: this.#accounts.groupsOf(uid, gid) };
  }

  /** The merged rules of one identity. */
  rights(identity: PeerIdentity): PeerRights {
    return rightsFor(this.#compiled, identity);
  }

  /** Shorthand: `decide(rights(identity(uid, gid)), action, subject)`. */
  decide(uid: number, gid: number, action: PolicyAction, subject: string): Decision {
    return decide(this.rights(this.identity(uid, gid)), action, subject);
  }

  /** Calls `fn` after every successful reload; returns the function that stops it. */
  onChange(fn: () => void): () => void {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  #load(doc?: PolicyDocument): void {
    const accounts = Accounts.read(this.#options.accounts);
    let raw: unknown;
    if (doc !== undefined) raw = doc;
    else if ('doc' in this.#source) raw = this.#source.doc;
    else {
      let text: string;
      try {
        text = readFileSync(this.#source.path, 'utf8');
      } catch (err) {
        throw new PolicyError('', `cannot read ${this.#source.path}: ${(err as Error).message}`, { cause: err });
      }
      raw = parsePolicy(text, this.#source.path);
    }
    this.#compiled = compilePolicy(raw, accounts);
    this.#accounts = accounts;
    // A document given to reload() is the policy from now on (a later reload() keeps it).
    if (doc !== undefined) this.#source = { doc };
  }
}
