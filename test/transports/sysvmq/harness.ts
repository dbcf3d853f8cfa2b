/**
 * What the sysvmq test files share: private URLs in a run directory, the peer child script,
 * children and hubs closed at the end whatever happened, and queue lookups.
 */
import { join } from 'node:path';
import { ftok, msgGetRaw, msgStat } from '../../../src/native/sysv-msg.js';
import { sysvmqTransport as t } from '../../../src/transports/sysvmq/sysvmq-transport.js';
import { DEFAULT_PROJ } from '../../../src/transports/sysvmq/url.js';
import type { Connection, Listener } from '../../../src/transports/transport.js';
import { ChildSet, script } from '../../helpers/processes.js';
import { tmpDir } from '../../helpers/run-id.js';
import { within } from '../../helpers/watchdog.js';
import { removeTmp } from '../../sync/cleanup.js';

/** The peer child (./peer.ts). */
export const peer = script(import.meta.url, './peer.js');

/** The queues of `ids` that still exist (each test checks the ids of the objects it made). */
export const alive = (ids: number[]): number[] => ids.filter((q) => msgStat(q) !== null);
/** The rendezvous queue of a key-file URL (while the key file exists). */
export const rendezvousOf = (url: string): number => msgGetRaw(ftok(url.slice('sysvmq://'.length), DEFAULT_PROJ), 0);
/** The numbers after the first word of a child's line. */
export const numbers = (line: string): number[] => line.split(' ').slice(1).map(Number);

/** One test file's URLs, children and hubs; call `cleanup()` in `test.after`. */
export function sysvmqHarness(name: string) {
  const dir = tmpDir(name);
  let n = 0;
  const children = new ChildSet();
  const hubs = new Set<Listener>();
  /** A hub closed at the end of the file even when a test fails (so the file can exit). */
  const listen = async (url: string, options?: Parameters<typeof t.listen>[1]): Promise<Listener> => {
    const hub = await t.listen(url, options);
    hubs.add(hub);
    return hub;
  };
  /** The next connection a hub accepts. */
  const nextAccepted = (hub: Listener): Promise<Connection> =>
    within(10_000, 'accept', hub[Symbol.asyncIterator]().next().then((r) => r.value as Connection));
  return {
    children,
    hubs,
    listen,
    nextAccepted,
    newUrl: (): string => `sysvmq://${join(dir, `k${++n}`)}`,
    async pair(url: string): Promise<{ hub: Listener; client: Connection; server: Connection }> {
      const hub = await listen(url);
      const accepted = nextAccepted(hub);
      const client = await t.connect(url);
      return { hub, client, server: await accepted };
    },
    async cleanup(): Promise<void> {
      await children.killAll();
      await Promise.all([...hubs].map((h) => h.close()));
      removeTmp(dir);
    },
  };
}
