/**
 * Issue 13 item 2: strangers holding huge partial frames must not cost a well-behaved client its
 * traffic. 16 connections each hold a 15.9 MiB partial frame (254 MiB of the hub's 256 MiB
 * process budget); a normal client then publishes a 2 MiB message. The hub refuses a hog (the
 * largest holder, told by ERR before the close), and the message is delivered.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Socket } from 'node:net';
import { Bus } from '../../src/index.js';
import { processHeld } from '../../src/transports/framing/reassembly-budget.js';
import { tmpDir } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';
import { RawClient } from './outside/raw-client.js';

const MiB = 1024 * 1024;
const HOGS = 16;
const HOG_BYTES = Math.floor(15.9 * MiB);

test('a victim\'s 2 MiB message is delivered while 16 hogs fill the partial-frame budget', async () => {
  const path = `${tmpDir('budget')}/hub.sock`;
  const hub = await Bus.listen(`unix://${path}`, { name: 'budget-hub' });
  const hogs: RawClient[] = [];
  let victim: Bus | undefined;
  try {
    let got: Uint8Array | undefined;
    hub.subscribe('big').subscribe((m) => { got = m.data as Uint8Array; });
    await hub.flush();
    // Each hog says HELLO, then announces a 16 MiB frame and sends 15.9 MiB of it, never the rest.
    for (let i = 0; i < HOGS; i++) {
      const h = await RawClient.connect(path);
      h.hello(`hog${i}`);
      await within(15_000, 'hog HELLO', h.next(1));
      const head = Buffer.alloc(4);
      head.writeUInt32BE(16 * MiB - 64, 0);
      h.socket.write(head);
      await written(h.socket, Buffer.alloc(HOG_BYTES, 1));
      hogs.push(h);
    }
    // The hub (this process) has read every hog's bytes: the budget's account says so.
    await until('the hub holds the hogs\' partial frames', () => processHeld() >= HOGS * HOG_BYTES, 60_000, 50);
    victim = await Bus.connect(`unix://${path}`, { name: 'victim' });
    const errors: Error[] = [];
    victim.on('error', (e) => errors.push(e.error));
    const payload = new Uint8Array(2 * MiB).fill(7);
    await victim.publish('big', payload);
    await within(60_000, 'the victim\'s message is delivered', until('delivered', () => got, 60_000));
    assert.is(got!.length, payload.length);
    assert.ok(got!.every((b) => b === 7));
    await within(15_000, 'victim flush', victim.flush());
    assert.equal(errors, [], 'the victim saw no error');
    const refused = hogs.filter((h) => h.frames.some((f) => f[0] === 8));
    assert.ok(refused.length >= 1, 'a hog was refused');
    for (const h of refused) {
      await within(15_000, 'refused hog closed', h.ended);
      const err = h.frames.find((f) => f[0] === 8)!;
      assert.is(err[1], 'ERR_UNIBUS_PROTOCOL');
      assert.match(String(err[2]), /process budget/);
    }
  } finally {
    for (const h of hogs) h.close();
    await victim?.close();
    await hub.close();
  }
});

function written(socket: Socket, bytes: Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(bytes, (err) => (err ? reject(err) : resolve())));
}

test.run();
