/**
 * Deleting a spool. Spool data is durable by design: closing a hub, a crash, or the next hub's
 * startup cleanup never deletes it. `destroySpool()` is the one way to, and it refuses while a
 * hub or a named client still holds the spool.
 *
 * @example
 * ```ts
 * await destroySpool('file:///var/spool/orders'); // after every process has closed
 * ```
 * @module
 */
import { existsSync, lstatSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { HubRunningError, InvalidUrlError } from '../../errors.js';
import { LivenessLock } from '../../sync/liveness-lock.js';
import { urlPath } from '../shared/url.js';
import { channelsDir } from './channel-layout.js';

/** Deletes the spool at `url` (its directory and everything in it). */
export async function destroySpool(url: string): Promise<void> {
  const dir = urlPath(url, 'file');
  if (!existsSync(dir)) return;
  if (!lstatSync(dir).isDirectory()) throw new InvalidUrlError(url, `not a spool directory: path=${dir}`);
  if (LivenessLock.isHeld(join(dir, 'hub'))) throw new HubRunningError(url, 'a live hub uses this spool');
  const channels = channelsDir(dir);
  if (existsSync(channels)) {
    for (const name of readdirSync(channels)) {
      if (LivenessLock.isHeld(join(channels, name, 'client'))) {
        throw new HubRunningError(url, `a live client holds channel ${name}`);
      }
    }
  }
  rmSync(dir, { recursive: true, force: true });
}
