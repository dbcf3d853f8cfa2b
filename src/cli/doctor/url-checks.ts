/**
 * Checks of one URL's path: can a hub make its objects there (the directory exists and this
 * user may write it), and is something a dead hub left in the way (a socket file nobody serves,
 * a fifo:// directory whose liveness lock nobody holds).
 * @module
 */
import { accessSync, constants, lstatSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { schemeOf } from '../../transports/registry.js';
import { urlPath } from '../../transports/shared/url.js';
import { fail, ok, type Finding } from './finding.js';
import { boundAbstractNames, livenessNameOf } from './leftovers.js';

function statOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** The directory a hub creates `path` in exists and is writable and searchable by this user. */
function parentWritable(path: string): Finding {
  const dir = dirname(path);
  const st = statOrNull(dir);
  if (!st) return fail(`${dir} does not exist: a hub cannot create ${path}`, `mkdir -p ${dir}`);
  if (!st.isDirectory()) return fail(`${dir} is not a directory`, `use a path under a directory`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
  } catch {
    return fail(`${dir} is not writable by uid ${process.getuid?.()} (mode ${(st.mode & 0o7777).toString(8)}, owner ${st.uid})`,
      `use a directory you own (e.g. $XDG_RUNTIME_DIR), or chown/chmod ${dir}`);
  }
  return ok(`${dir} is writable (mode ${(st.mode & 0o7777).toString(8)})`);
}

export function urlChecks(url: string): Finding[] {
  const scheme = schemeOf(url);
  switch (scheme) {
    case 'unix': {
      const path = resolve(urlPath(url, 'unix'));
      const out = [parentWritable(path)];
      const st = statOrNull(path);
      const live = boundAbstractNames().has(livenessNameOf(path));
      if (live) out.push(ok(`a live hub serves ${path}`));
      else if (st?.isSocket()) out.push(fail(`${path} is a socket a dead hub left`, `rm ${path} (the next hub also replaces it)`));
      else if (st) out.push(fail(`${path} exists and is not a socket: a hub cannot listen there`, `choose another path, or move ${path} away`));
      else out.push(ok(`${path} is free (no hub running)`));
      if (st && st.uid !== process.getuid?.()) out.push(fail(`${path} belongs to uid ${st.uid}`, 'run as that user, or use your own path'));
      return out;
    }
    case 'fifo': {
      const dir = resolve(urlPath(url, 'fifo'));
      const out = [parentWritable(dir)];
      const st = statOrNull(dir);
      if (LivenessLock.isHeld(dir)) out.push(ok(`a live hub serves ${dir}`));
      else if (st) out.push(fail(`${dir} is a fifo:// directory a dead hub left`, `rm -r ${dir} (the next hub on it also cleans it)`));
      else out.push(ok(`${dir} is free (no hub running)`));
      return out;
    }
    case 'sysvmq': {
      const path = new URL(url).pathname;
      // A literal key (sysvmq://0x1234) has no path; leftovers are found by the queue scan.
      return path && path !== '/' ? [parentWritable(resolve(path))] : [ok(`${url}: a literal key, no path to check`)];
    }
    case 'file':
      return [parentWritable(resolve(urlPath(url, 'file')))];
    default:
      return [ok(`${scheme}: nothing on this machine's filesystem to check for this scheme`)];
  }
}
