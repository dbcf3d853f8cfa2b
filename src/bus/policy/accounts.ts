/**
 * Users and groups of this machine, read from /etc/passwd and /etc/group when a policy is
 * loaded (and again on every reload): names in a policy resolve to ids, and a peer's uid to the
 * groups it belongs to. Read synchronously at load only, never per message.
 * @module
 */
import { readFileSync } from 'node:fs';

/** Where the account files are (tests point these at their own copies). */
export interface AccountFiles {
  readonly passwd?: string;
  readonly group?: string;
}

interface GroupLine {
  readonly name: string;
  readonly gid: number;
  readonly members: readonly string[];
}

/** A snapshot of the account files. */
export class Accounts {
  readonly #uidByName = new Map<string, number>();
  readonly #userByUid = new Map<number, { name: string; gid: number }>();
  readonly #gidByName = new Map<string, number>();
  readonly #groups: GroupLine[] = [];

  /** Reads both files now; a missing file counts as empty (numeric ids still work). */
  static read(files: AccountFiles = {}): Accounts {
    return new Accounts(readOrEmpty(files.passwd ?? '/etc/passwd'), readOrEmpty(files.group ?? '/etc/group'));
  }

  constructor(passwd: string, group: string) {
    for (const line of passwd.split('\n')) {
      const f = line.split(':');
      if (f.length < 4 || line.startsWith('#')) continue;
      const uid = Number(f[2]);
      const gid = Number(f[3]);
      if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
      if (!this.#uidByName.has(f[0]!)) this.#uidByName.set(f[0]!, uid);
      if (!this.#userByUid.has(uid)) this.#userByUid.set(uid, { name: f[0]!, gid });
    }
    for (const line of group.split('\n')) {
      const f = line.split(':');
      if (f.length < 3 || line.startsWith('#')) continue;
      const gid = Number(f[2]);
      if (!Number.isInteger(gid)) continue;
      if (!this.#gidByName.has(f[0]!)) this.#gidByName.set(f[0]!, gid);
      this.#groups.push({ name: f[0]!, gid, members: (f[3] ?? '').split(',').filter((m) => m.length > 0) });
    }
  }

  /** A user name or numeric uid → uid; undefined when unknown. */
  uid(key: string): number | undefined {
    return /^\d+$/.test(key) ? Number(key) : this.#uidByName.get(key);
  }

  /** A group name or numeric gid → gid; undefined when unknown. */
  gid(key: string): number | undefined {
    return /^\d+$/.test(key) ? Number(key) : this.#gidByName.get(key);
  }

  /**
   * Every group of `uid`: `gid` (what the kernel reports for the peer), the user's primary
   * group, and every group that lists the user as a member.
   */
  groupsOf(uid: number, gid: number): number[] {
    const out = new Set<number>([gid]);
    const user = this.#userByUid.get(uid);
    if (user) {
      out.add(user.gid);
      for (const g of this.#groups) if (g.members.includes(user.name)) out.add(g.gid);
    }
    return [...out];
  }
}

function readOrEmpty(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}
