/**
 * Interop: a plain nats.js client (not ours) publishes to and subscribes from unibus topics,
 * using only what docs/nats.md documents (subjects, the `unibus-codec` header, reply subjects).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { connect, headers, type Msg, type NatsConnection } from '@nats-io/transport-node';
import { NatsFabric, CODEC_HEADER, PUBLISHER_HEADER, SEQ_HEADER } from '../../src/bus/nats/index.js';
import type { WireMessage } from '../../src/bus/fabric.js';
import { NatsServer, natsServerAvailable } from '../helpers/nats-server.js';
import { uniqueName } from '../helpers/run-id.js';
import { until } from '../helpers/watchdog.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
let server: NatsServer;
let plain: NatsConnection;
let fabric: NatsFabric;

test.before(async () => {
  assert.ok(natsServerAvailable(), 'nats-server is not installed (apt-get install -y nats-server)');
  server = await NatsServer.start();
  plain = await connect({ servers: `127.0.0.1:${server.port}` });
  fabric = await NatsFabric.connect(server.url);
});
test.after(async () => {
  await fabric.close();
  await plain.close();
  await server.kill();
});

test('a plain client publishing JSON with unibus-codec: 2 reaches a unibus subscriber as codec 2', async () => {
  const p = uniqueName('i');
  const got: WireMessage[] = [];
  fabric.subscribe(`${p}.sensor.*`, (m) => got.push(m));
  await fabric.flush();
  const h = headers();
  h.set(CODEC_HEADER, '2');
  h.set('origin', 'plain');
  plain.publish(`${p}.sensor.kitchen`, JSON.stringify({ temp: 21.5 }), { headers: h });
  plain.publish(`${p}.sensor.hall`, 'raw bytes');
  await plain.flush();
  await until('two messages', () => got.length === 2);
  assert.is(got[0]!.codec, 2);
  assert.equal(JSON.parse(dec.decode(got[0]!.payload)), { temp: 21.5 });
  assert.equal(got[0]!.headers, { origin: 'plain' });
  assert.is(got[1]!.codec, 0, 'no header: raw bytes');
  assert.is(dec.decode(got[1]!.payload), 'raw bytes');
});

test('a plain subscriber sees the subject, payload bytes and documented headers of a unibus message', async () => {
  const p = uniqueName('o');
  const got: Msg[] = [];
  plain.subscribe(`${p}.>`, { callback: (_err, m) => { got.push(m); } });
  await plain.flush();
  fabric.publish({ topic: `${p}.orders.new`, codec: 2, payload: enc.encode('{"id":1}'), publisher: 'bus-1', seq: 42, headers: { tenant: 't1' } });
  fabric.publish({ topic: `${p}.orders.raw`, codec: 0, payload: Uint8Array.of(9, 8, 7) });
  await fabric.flush();
  await until('two messages', () => got.length === 2);
  const [json, raw] = got as [Msg, Msg];
  assert.is(json.subject, `${p}.orders.new`);
  assert.equal(json.json(), { id: 1 });
  assert.is(json.headers?.get(CODEC_HEADER), '2');
  assert.is(json.headers?.get(PUBLISHER_HEADER), 'bus-1');
  assert.is(json.headers?.get(SEQ_HEADER), '42');
  assert.is(json.headers?.get('tenant'), 't1');
  assert.is(raw.headers, undefined, 'codec 0 without headers is a plain NATS message');
  assert.equal([...raw.data], [9, 8, 7]);
});

test('requests both ways: a plain requester to a unibus service, a unibus requester to a plain service', async () => {
  const p = uniqueName('rq');
  fabric.subscribe(`${p}.double`, (m) => {
    const n = Number(dec.decode(m.payload));
    fabric.publish({ topic: m.replyTo!, codec: 2, payload: enc.encode(String(n * 2)) });
  });
  await fabric.flush();
  const reply = await plain.request(`${p}.double`, '21', { timeout: 5000 });
  assert.is(reply.string(), '42');
  assert.is(reply.headers?.get(CODEC_HEADER), '2');

  plain.subscribe(`${p}.upper`, { callback: (_err, m) => { m.respond(m.string().toUpperCase()); } });
  await plain.flush();
  const answers: WireMessage[] = [];
  fabric.subscribe(`_INBOX.${p}.*`, (m) => answers.push(m));
  fabric.publish({ topic: `${p}.upper`, codec: 0, payload: enc.encode('shout'), replyTo: `_INBOX.${p}.1` });
  await fabric.flush();
  await until('answer', () => answers.length === 1);
  assert.is(dec.decode(answers[0]!.payload), 'SHOUT');
});

test.run();
