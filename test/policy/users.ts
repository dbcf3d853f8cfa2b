/**
 * Real users for the policy tests: created with useradd/groupadd under the run prefix and
 * removed afterwards, and clients started as them. Root only; `whyNot()` says why not.
 */
import { execFileSync, spawn } from 'node:child_process';
import { accessSync, chmodSync, constants, mkdtempSync, rmSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { Child } from '../helpers/processes.js';
import { runId } from '../helpers/run-id.js';

/** A user made for one test run. */
export interface TestUser {
  readonly name: string;
  readonly uid: number;
  readonly gid: number;
}

/** Why multi-user tests cannot run here (undefined: they can). */
export function whyNot(paths: readonly string[]): string | undefined {
  if (process.getuid?.() !== 0) return 'not root (useradd and running clients as other users need root)';
  for (const tool of ['useradd', 'userdel', 'groupadd', 'groupdel']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed`;
    }
  }
  // Other users must reach node and the compiled code: every directory on the way o+x.
  for (const p of paths) {
    for (let d = dirname(p); d !== '/'; d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return `${d} is not traversable by other users (needed for ${p})`;
    }
    if ((statSync(p).mode & 0o004) === 0) return `${p} is not readable by other users`;
  }
  return undefined;
}

/** Makes users and groups and removes them all on `remove()`, whatever happened. */
export class TestAccounts {
  readonly #users: string[] = [];
  readonly #groups: string[] = [];

  /** A group named `<run>-<label>`. */
  group(label: string): string {
    const name = `${runId}-${label}`.slice(0, 31);
    execFileSync('groupadd', [name]);
    this.#groups.push(name);
    return name;
  }

  /** A user named `<run>-<label>` (no home, no login shell), in `groups` besides its own. */
  user(label: string, groups: readonly string[] = []): TestUser {
    const name = `${runId}-${label}`.slice(0, 31);
    execFileSync('useradd', ['-M', '-s', '/usr/sbin/nologin', '-U', ...(groups.length ? ['-G', groups.join(',')] : []), name]);
    this.#users.push(name);
    const id = (flag: string): number => Number(execFileSync('id', [flag, name], { encoding: 'utf8' }).trim());
    return { name, uid: id('-u'), gid: id('-g') };
  }

  remove(): void {
    for (const u of this.#users.splice(0)) {
      try { execFileSync('userdel', [u], { stdio: 'ignore' }); } catch { /* gone already */ }
    }
    for (const g of this.#groups.splice(0)) {
      try { execFileSync('groupdel', [g], { stdio: 'ignore' }); } catch { /* gone already */ }
    }
  }
}

/** A directory other users can reach (0711) under /tmp with the run prefix. */
export function sharedDir(label: string): { path: string; remove(): void } {
  const path = mkdtempSync(`/tmp/unibus-${runId}-${label}-`);
  chmodSync(path, 0o711);
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Starts `node script ...args` as `user` (its uid and primary gid), stdin and stdout piped. */
export function spawnAs(user: TestUser, script: string, args: readonly string[]): Child {
  accessSync(script, constants.R_OK);
  const proc = spawn(process.execPath, [script, ...args], {
    uid: user.uid, gid: user.gid, cwd: '/', stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: '/', UNIBUS_TEST_RUN: runId },
  });
  return new Child(proc);
}
