/**
 * A test peer for the cluster failover test: one NatsFabric, driven by stdin commands, reporting
 * on stdout. Env: NATS_URL, PEER_ME, PEER_OTHER, PEER_PREFIX.
 *   probe                → requests the other peer's probe subject until it answers: `probed`
 *   send <phase> <n>     → sends n messages paced (20 per 10 ms): `progress …`, `sent <phase> <n>`
 *   report <phase>       → `report <phase> {"count","dupes","max"}`
 *   exit                 → closes and exits
 * Status changes print as `status <type> <epoch ms> <server>`.
 */
import { createInterface } from 'node:readline';
import { NatsFabric } from '../../src/bus/nats/index.js';
import { STATUS_HEADER } from '../../src/bus/fabric.js';

const { NATS_URL, PEER_ME, PEER_OTHER, PEER_PREFIX } = process.env;
const P = PEER_PREFIX!;
const enc = new TextEncoder();
const dec = new TextDecoder();
const fabric = await NatsFabric.connect(`${NATS_URL}?randomize=false`, { reconnectTimeWait: 250, name: PEER_ME! });
const out = (line: string) => process.stdout.write(`${line}\n`);

fabric.status.subscribe((s) => out(`status ${s.type} ${Date.now()} ${fabric.server}`));

const seen = new Map<string, { set: Set<number>; dupes: number; max: number }>();
fabric.subscribe(`${P}.to.${PEER_ME}`, (m) => {
  const [phase, seqText] = dec.decode(m.payload).split(':');
  const seq = Number(seqText);
  let s = seen.get(phase!);
  if (!s) seen.set(phase!, (s = { set: new Set(), dupes: 0, max: 0 }));
  if (s.set.has(seq)) s.dupes += 1;
  s.set.add(seq);
  s.max = Math.max(s.max, seq);
});
fabric.subscribe(`${P}.probe.${PEER_ME}`, (m) => {
  if (m.replyTo) fabric.publish({ topic: m.replyTo, codec: 0, payload: enc.encode('pong') });
});
let probeAnswered = false;
fabric.subscribe(`${P}.inbox.${PEER_ME}`, (m) => {
  if (m.headers?.[STATUS_HEADER] === undefined) probeAnswered = true;
});
await fabric.flush();
out(`ready ${fabric.server}`);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function probe(): Promise<void> {
  probeAnswered = false;
  while (!probeAnswered) {
    fabric.publish({ topic: `${P}.probe.${PEER_OTHER}`, codec: 0, payload: enc.encode('ping'), replyTo: `${P}.inbox.${PEER_ME}` });
    await sleep(100);
  }
  out('probed');
}

async function send(phase: string, n: number): Promise<void> {
  for (let i = 1; i <= n; i++) {
    const wait = fabric.publish({ topic: `${P}.to.${PEER_OTHER}`, codec: 0, payload: enc.encode(`${phase}:${i}`) });
    if (wait) await wait;
    if (i % 1000 === 0) out(`progress ${phase} ${i}`);
    if (i % 20 === 0) await sleep(10);
  }
  await fabric.flush({ timeout: 30_000 });
  out(`sent ${phase} ${n}`);
}

const rl = createInterface({ input: process.stdin });
rl.on('line', (line) => {
  const [cmd, a, b] = line.trim().split(/\s+/);
  const run = async () => {
    switch (cmd) {
      case 'probe': return probe();
      case 'send': return send(a!, Number(b));
      case 'report': {
        const s = seen.get(a!) ?? { set: new Set(), dupes: 0, max: 0 };
        return out(`report ${a} ${JSON.stringify({ count: s.set.size, dupes: s.dupes, max: s.max })}`);
      }
      case 'exit': await fabric.close(); process.exit(0);
    }
  };
  run().catch((err) => { out(`error ${cmd} ${err}`); });
});
rl.on('close', () => { void fabric.close().then(() => process.exit(0)); });
