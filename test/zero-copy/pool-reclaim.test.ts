/**
 * The publisher's reclaim of its pool (src/zero-copy/pool-writer.ts) on a real pool in /dev/shm,
 * with receivers' holds made through a reader's own mapping of it (PoolView, as a receiver does).
 * Runs are taken back oldest first, in order; when the oldest is held out of order, a full scan
 * frees the others and rebuilds the queue from the runs still published. Checked: a run is never
 * handed out while any holder bit of it is set, a run held out of order comes back once released,
 * nothing is lost (after every hold ends the whole pool is free again), and the queue stays
 * bounded by what is published. Randomized with a fixed seed (reproducible), unpublish included
 * (a send that failed: its queue entry goes stale).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync } from 'node:fs';
import { shmUnlink } from '../../src/native/mmap.js';
import { PoolWriter } from '../../src/zero-copy/pool-writer.js';
import { PoolView } from '../../src/zero-copy/pool-reader.js';
import { poolGeometry } from '../../src/zero-copy/pool-layout.js';
import { uniqueName } from '../helpers/run-id.js';

const BLOCK = 64 * 1024;
const LANE = 5;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A writer and a receiver's view of the same new pool of `blocks` 64 KiB blocks. */
function pool(label: string, blocks: number): { writer: PoolWriter; view: PoolView; close(): boolean } {
  const name = `/${uniqueName(label)}~pool.t.1`;
  const writer = new PoolWriter(name, poolGeometry(blocks * BLOCK, BLOCK), 0o600);
  const view = PoolView.open(name, { uid: process.getuid?.(), mode: 0o600 });
  return {
    writer, view,
    close: () => {
      view.close();
      writer.close();
      // True when the writer left its name (something still held): removed here all the same.
      const left = existsSync(`/dev/shm${name}`);
      if (left) shmUnlink(name);
      return left;
    },
  };
}

/** A loaned run as these tests follow it (the writer names a loan by its first block). */
interface Run {
  readonly block: number;
  readonly blocks: number;
}

/** A loan of `length` bytes as a Run, or undefined when the pool has no free run now. */
function take(writer: PoolWriter, length: number): Run | undefined {
  const block = writer.take(length);
  return block < 0 ? undefined : { block, blocks: Math.ceil(length / BLOCK) };
}

/** What the hub does when it routes a run to one receiver: its lane bit, then the in-flight bit off. */
function route(view: PoolView, run: Run): void {
  view.holdLane(run.block, LANE);
  view.dropLane(run.block, 0);
}

/** A take that may have to wait out the writer's one-full-scan-per-ms bound (no timing asserted). */
async function takeEventually(writer: PoolWriter, length: number): Promise<Run> {
  for (let i = 0; i < 2000; i++) {
    const run = take(writer, length);
    if (run) return run;
    await sleep(2);
  }
  throw new Error(`no run of ${length} bytes came back`);
}

test('the oldest run held out of order: the others are reused, the held one never, and it comes back once released', async () => {
  const p = pool('zcq', 8);
  try {
    const runs: Run[] = [];
    for (let i = 0; i < 8; i++) {
      const run = take(p.writer, BLOCK)!;
      p.writer.publish(run.block);
      route(p.view, run);
      runs.push(run);
    }
    assert.is(take(p.writer, BLOCK), undefined, 'full while everything is held');
    const oldest = runs[0]!;
    for (const run of runs.slice(1)) p.view.dropLane(run.block, LANE); // every receiver but the oldest's let go
    // Hundreds of loans while the oldest stays held: each must skip it, and the queue must not
    // grow behind it (a walk from the head stops at the held run).
    for (let i = 0; i < 300; i++) {
      const run = await takeEventually(p.writer, BLOCK);
      assert.is.not(run.block, oldest.block, `loan ${i} reused the held block`);
      assert.is(p.view.holdersOf(run.block), 0n, 'handed out with a holder bit set');
      p.writer.publish(run.block);
      route(p.view, run);
      p.view.dropLane(run.block, LANE);
    }
    assert.ok(p.writer.queued <= 8, `the queue stays bounded by the published runs: ${p.writer.queued}`);
    assert.is(p.writer.held, 1, 'only the held run is still published');
    p.view.dropLane(oldest.block, LANE);
    assert.is(p.writer.held, 0, 'released: back in the pool');
    const all = take(p.writer, 8 * BLOCK);
    assert.ok(all, 'the whole pool is one free run again');
    p.writer.cancel(all.block);
    assert.not.ok(p.close(), 'the writer removed the pool: nothing held');
  } finally {
    p.close();
  }
});

test('random holds, releases out of order and failed sends: never a held run handed out, nothing lost', async () => {
  const p = pool('zcr', 32);
  let seed = 0x2545f491;
  const rand = (n: number): number => {
    seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  const held: Run[] = [];
  try {
    for (let step = 0; step < 5000; step++) {
      const op = rand(10);
      if (op < 5) {
        const length = (1 + rand(3)) * BLOCK - rand(100);
        const run = take(p.writer, length);
        if (!run) continue;
        for (let b = run.block; b < run.block + run.blocks; b++) {
          assert.is(p.view.holdersOf(b), 0n, `step ${step}: block ${b} handed out while held`);
          assert.not.ok(held.some((h) => b >= h.block && b < h.block + h.blocks), `step ${step}: block ${b} overlaps a held run`);
        }
        p.writer.publish(run.block);
        if (rand(20) === 0) {
          p.writer.unpublish(run.block); // the send failed: back at once, its queue entry stale
          continue;
        }
        route(p.view, run);
        held.push(run);
      } else if (held.length > 0) {
        // Mostly the oldest (receivers release in order), sometimes any (out of order).
        const at = rand(4) === 0 ? rand(held.length) : 0;
        const [run] = held.splice(at, 1);
        p.view.dropLane(run!.block, LANE);
      }
      assert.ok(p.writer.queued <= held.length + 64, `step ${step}: queue ${p.writer.queued} for ${held.length} held`);
    }
    for (const run of held.splice(0)) p.view.dropLane(run.block, LANE);
    assert.is(p.writer.held, 0, 'every released run came back');
    const all = await takeEventually(p.writer, 32 * BLOCK);
    assert.is(all.block, 0, 'the whole pool is one free run again');
    p.writer.cancel(all.block);
    assert.not.ok(p.close(), 'the writer removed the pool: nothing held');
  } finally {
    for (const run of held) p.view.dropLane(run.block, LANE);
    p.close();
  }
});

test.run();
