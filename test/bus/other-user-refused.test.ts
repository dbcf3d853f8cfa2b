/**
 * A client of another user against a hub that does not let other users in gets one clear, typed
 * error on every scheme: `PermissionDeniedError` (ERR_UNIBUS_PERMISSION) saying what to do.
 * Before: unix, sysvmq and shm clients got the raw kernel EACCES of some object they had never
 * heard of ("msgctl 'msqid=11534371' failed"), and a fifo client's refusal was replaced by the
 * EACCES of removing a FIFO pair it had never made. Root only (runs the client as `nobody`).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus } from '../../src/bus/bus.js';
import { ChildSet, script } from '../helpers/processes.js';
import { uniqueName } from '../helpers/run-id.js';
import { spawnAs, whyNot } from '../policy/users.js';

const NOBODY = { name: 'nobody', uid: 65534, gid: 65534 };
const tryConnect = script(import.meta.url, './peers/try-connect.js');
const children = new ChildSet();
test.after.each(() => children.killAll());

/** Hub URLs another user can name (the paths are in /tmp, which everyone traverses). */
const urls = (): string[] => [
  `unix:///tmp/${uniqueName('ou')}.sock`,
  `fifo:///tmp/${uniqueName('ou')}`,
  `sysvmq://0x${(0x5d000000 + ((process.pid & 0xffff) << 4)).toString(16)}`,
  `shm://${uniqueName('ou')}`,
];

const skip = whyNot([process.execPath, tryConnect]);
if (skip) {
  test(`other users refused SKIPPED: ${skip}`, () => console.log(`SKIP test/bus/other-user-refused: ${skip}`));
} else {
  for (const url of urls()) {
    test(`${url.split(':')[0]}: another user's client gets PermissionDeniedError, the hub serves on`, async () => {
      const hub = await Bus.listen(url);
      try {
        const client = children.add(spawnAs(NOBODY, tryConnect, [url]));
        const line = await client.waitLine(/^(connected|refused)/, 30_000);
        assert.match(line, /^refused ERR_UNIBUS_PERMISSION Permission denied: /, line);
        assert.match(line, /allowOtherUsers|another user/, line);
        assert.is((await client.waitExit()).code, 0, client.stderr);
        const mine = await Bus.connect(url, { reconnect: false });
        await mine.publish('still.serving', 1);
        await mine.flush();
        await mine.close();
      } finally {
        await hub.close();
      }
    });
  }
}

test.run();
