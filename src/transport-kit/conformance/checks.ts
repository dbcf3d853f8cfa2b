/**
 * Shared pieces of the Transport suite's cases: the context a case group gets, and small
 * checks (round trips, pending-or-settled, filling a medium until a send really waits).
 * @module
 */
import { randomFillSync } from 'node:crypto';
import * as assert from 'uvu/assert';
import type { Capabilities, Connection } from '../../transports/transport.js';
import { within } from './watchdog.js';
import type { TransportFixture } from './fixture.js';
import type { Session } from './session.js';

/** What a group of cases gets from the suite. */
export interface CaseContext {
  readonly fixture: TransportFixture;
  readonly caps: Capabilities;
  /** Registers a case under a watchdog; names must be unique. */
  it(name: string, body: () => Promise<void>): void;
  /** Runs `body` with a fresh hub, torn down and checked for leftovers afterwards. */
  session(label: string, body: (s: Session) => Promise<void>, options?: { maxFrameSize?: number }): Promise<void>;
  /** In-process, a peer's destroy is always seen; across processes only with peer-death events. */
  readonly seesPeerDeath: boolean;
}

export function endedAs(reason: string, ...allowed: string[]): void {
  assert.ok(allowed.includes(reason), `closed.reason=${reason}, expected one of ${allowed.join('|')}`);
}

export const MiB = 1024 * 1024;

export const random = (size: number): Uint8Array => randomFillSync(new Uint8Array(size));

/** The next frame of an iterator, under a watchdog. */
export async function nextFrame(it: AsyncIterator<Uint8Array>, what: string, ms = 20_000): Promise<Uint8Array> {
  const r = await within(ms, what, it.next());
  if (r.done) throw new Error(`connection ended while waiting for ${what}`);
  return r.value;
}

/** Sends `frame` to an echo peer and checks the same bytes come back. */
export async function roundTrip(conn: Connection, it: AsyncIterator<Uint8Array>, frame: Uint8Array, what: string): Promise<void> {
  await conn.send(frame);
  const back = await nextFrame(it, what);
  assert.ok(Buffer.from(back).equals(Buffer.from(frame)), `${what}: echoed bytes differ (sent ${frame.length}, got ${back.length})`);
}

/** Settles to a word, so a test can tell pending from resolved from rejected. */
export function outcome(p: Promise<unknown>): Promise<string> {
  return p.then(() => 'resolved', (err: unknown) => `rejected ${err instanceof Error ? err.constructor.name : typeof err}`);
}
export const stillPending = async (p: Promise<string>, ms = 300): Promise<boolean> =>
  (await Promise.race([p, new Promise((r) => setTimeout(() => r('pending'), ms))])) === 'pending';

/** Writes `chunk` until the medium towards an unread peer is full; returns the send that waits. */
export async function fillUntilBlocked(conn: Connection, chunk: Uint8Array, limitBytes = 256 * MiB): Promise<{ pending: Promise<string>; bytes: number }> {
  // "Full" may first mean a local high-water mark that drains into the kernel: keep going until
  // a send really waits on the peer.
  let bytes = 0;
  while (bytes <= limitBytes) {
    while (bytes <= limitBytes) {
      bytes += chunk.length;
      if (!conn.write(chunk)) break;
    }
    bytes += chunk.length;
    const pending = outcome(conn.send(chunk));
    if (await stillPending(pending, 300)) return { pending, bytes };
    assert.is(await pending, 'resolved');
  }
  throw new Error(`a send to a peer that does not read should wait, but ${bytes} bytes were accepted`);
}

/** Resolves once `lines` has not grown for `quietMs` (a stalled peer), under a watchdog. */
export async function quiet(lines: readonly string[], quietMs: number, what: string): Promise<void> {
  await within(60_000, what, (async () => {
    for (let seen = -1; seen !== lines.length;) {
      seen = lines.length;
      await new Promise((r) => setTimeout(r, quietMs));
    }
  })());
}
