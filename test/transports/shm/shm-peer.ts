/**
 * A peer process for the shm tests. argv: <role> <url> [count] [size]
 * - client-send: connects, sends `count` frames of `size` bytes (u32 sequence first), prints
 *   "sent <sha256 of all bytes>", then closes (or with env KILL=1 kills itself right after).
 * - client-echo: connects, echoes every frame until the hub closes, prints "done <reason>".
 * - client-mark: connects, and for every frame creates the file `<MARK env>.<first byte>` (a sign
 *   that survives a test process whose event loop is busy), then echoes the frame.
 * - hub: listens, prints "listening", counts frames per connection, prints "conn <n>" at each end.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { shmTransport } from '../../../src/transports/shm/shm-transport.js';

const [role, url, countText = '0', sizeText = '0'] = process.argv.slice(2);
const count = Number(countText);
const size = Number(sizeText);

if (role === 'client-send') {
  const conn = await shmTransport.connect(url!);
  console.log('connected');
  const hash = createHash('sha256');
  for (let i = 0; i < count; i += 1) {
    const frame = new Uint8Array(Math.max(size, 4));
    new DataView(frame.buffer).setUint32(0, i);
    for (let j = 4; j < frame.length; j += 4099) frame[j] = (i + j) & 0xff;
    hash.update(frame);
    if (!conn.write(frame)) await conn.drained();
  }
  console.log(`sent ${hash.digest('hex')}`);
  if (process.env.KILL === '1') process.kill(process.pid, 'SIGKILL');
  await conn.close();
} else if (role === 'client-echo') {
  const conn = await shmTransport.connect(url!);
  console.log('connected');
  for await (const frame of conn) await conn.send(frame);
  console.log(`done ${(await conn.closed).reason}`);
} else if (role === 'client-mark') {
  const conn = await shmTransport.connect(url!);
  console.log('connected');
  for await (const frame of conn) {
    writeFileSync(`${process.env.MARK}.${frame[0]}`, '');
    await conn.send(frame);
  }
} else if (role === 'hub') {
  const hub = await shmTransport.listen(url!);
  console.log('listening');
  process.on('SIGTERM', () => void hub.close());
  for await (const conn of hub) {
    let n = 0;
    conn.consume(() => { n += 1; });
    void conn.closed.then(() => console.log(`conn ${n}`));
  }
} else {
  throw new Error(`unknown role ${role}`);
}
