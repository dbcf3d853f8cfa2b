/**
 * A received PUB's payload is decoded in place (`Codec.decodeAt` on the frame) by the Bus, which
 * knows only the Fabric's `InPlaceWireMessage` shape, not the protocol's frame class: if the two
 * drift apart, payloads silently take the slower path; this test notices.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Bus, registerCodec, type Codec } from '../../src/index.js';
import { uniqueName } from '../helpers/run-id.js';
import { until, within } from '../helpers/watchdog.js';

const calls = { decode: 0, decodeAt: 0 };
const text = new TextDecoder();
/** A user codec (UTF-8 strings) that counts which decode path the Bus took. */
const counting: Codec = {
  id: 201,
  name: 'counting-utf8',
  encode: (value) => new TextEncoder().encode(String(value)),
  decode: (bytes) => { calls.decode++; return text.decode(bytes); },
  decodeAt: (bytes, start, end) => { calls.decodeAt++; return text.decode(bytes.subarray(start, end)); },
};
registerCodec(counting);

test('a message from a unix:// client reaches the hub\'s subscriber decoded in place', async () => {
  const url = `unix:///tmp/${uniqueName('inplace')}.sock`;
  const hub = await Bus.listen(url);
  const client = await Bus.connect(url, { codec: counting });
  try {
    const got: string[] = [];
    hub.subscribe('t.x').subscribe((m) => got.push(m.data as string));
    await hub.flush();
    await client.flush();
    await client.publish('t.x', 'hello');
    await client.flush();
    await until('delivery', () => got.length === 1);
    assert.equal(got, ['hello']);
    assert.is(calls.decodeAt, 1, 'decoded in place');
    assert.is(calls.decode, 0, 'no copy of the payload first');
  } finally {
    await within(10_000, 'close', Promise.all([client.close(), hub.close()]));
  }
});

test.run();
