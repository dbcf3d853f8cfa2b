/**
 * The driver of the relay and fan-out cases, in the hub process: `Bus.listen(url)`, then one
 * publisher client and `spec.subscribers` subscriber clients, each its own process. A batch:
 * the subscribers are told to count n (and say they are armed), the publisher to publish n;
 * timed until every subscriber has counted its n. Relay is one subscriber; fan-out reports
 * deliveries (n × subscribers). CPU: every process of the case summed (hub, publisher,
 * subscribers, and the NATS server when the bench started it).
 *
 * Over `nats://` the same code measures NATS pub/sub through `nats-server`: the "hub" is then
 * only a NATS client that drives; the server routes.
 * @module
 */
import { Bus } from '../../src/index.js';
import { transportFor } from '../../src/transports/registry.js';
import type { CaseSpec, ChildCommand } from '../link.js';
import { spawnSide } from '../links/spawn.js';
import { measureOneWay } from '../protocol.js';
import type { SideResult } from '../side.js';
import { brokerCpuMicros, Mailbox, TO_DRIVER, TO_PUB, TO_SUBS, type Order, type Report } from './control.js';

const DEBUG = Boolean(process.env['BENCH_DEBUG']);
const now = (): number => Number(process.hrtime.bigint()) / 1e9;
/** How long the clients may take to connect and subscribe, and to exit after `bye`. */
const START_MS = 30_000;
const EXIT_MS = 5000;

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export async function relayHub(spec: CaseSpec, command: (who: string) => ChildCommand): Promise<SideResult> {
  const url = spec.url!;
  const k = spec.subscribers ?? 1;
  const capabilities = url.startsWith('nats:')
    ? { crossProcess: true, spawnsClients: false }
    : (await transportFor(url)).capabilities;
  if (!capabilities.crossProcess) throw new Error(`${url}: a relay needs clients in other processes`);
  const hub = await Bus.listen(url);
  const who = ['pub', ...Array.from({ length: k }, (_, i) => `sub${i}`)];
  const clients = who.map((w) => {
    const c = command(w);
    if (!capabilities.spawnsClients) return spawnSide(c);
    const spawned = hub.spawn(c.command, c.args, { stdio: 'inherit' });
    return { proc: spawned.child, exited: spawned.exited };
  });
  const exits = clients.map((c) => c.exited);
  try {
    return await drive(spec, hub, exits);
  } catch (err) {
    // The clients would wait for orders (or reconnect) forever: end them; release the listener.
    for (const c of clients) if (c.proc.exitCode === null && c.proc.signalCode === null) c.proc.kill('SIGKILL');
    await within(EXIT_MS, 'closing the hub after a failure', hub.close()).catch(() => undefined);
    throw err;
  }
}

/** Measures once the clients are started; closes the hub. */
async function drive(spec: CaseSpec, hub: Bus, exits: ReadonlyArray<Promise<number | string>>): Promise<SideResult> {
  const url = spec.url!;
  const k = spec.subscribers ?? 1;
  const mail = new Mailbox();
  const inbox = hub.subscribe(TO_DRIVER).subscribe({ next: (m: { data: unknown }) => mail.put(m.data as Report) });
  await hub.flush();
  let finished = false;
  const died = Promise.race(exits).then((code) => {
    if (!finished) throw new Error(`a client of the relay ended early: ${String(code)}`);
    return new Promise<never>(() => undefined);
  });
  died.catch(() => undefined);
  const take = (op: Report['op'], count: number): Promise<Report[]> => Promise.race([mail.take(op, count), died]);
  const order = (topic: string, o: Order): void => { void hub.publish(topic, o); };

  await within(START_MS, 'the clients being ready', take('ready', k + 1));
  let errors = 0;
  const batch = async (n: number): Promise<number> => {
    order(TO_SUBS, { op: 'count', n });
    await take('armed', k);
    const t0 = now();
    order(TO_PUB, { op: 'send', n });
    const counted = await take('counted', k);
    for (const r of counted) if (r.op === 'counted') errors += r.errors;
    return now() - t0;
  };
  // BENCH_DEBUG=1: each process's CPU between two readings (the second pair: the measured batch).
  let lastCpu = new Map<string, [number, number]>();
  const otherCpu = async (): Promise<number> => {
    order(TO_PUB, { op: 'cpu' });
    order(TO_SUBS, { op: 'cpu' });
    const answers = await take('cpu', k + 1);
    if (DEBUG) lastCpu = printCpuSplit(lastCpu, answers);
    return answers.reduce((sum, r) => sum + (r.op === 'cpu' ? r.micros : 0), brokerCpuMicros(url));
  };
  const oneWay = await measureOneWay(spec, batch, { reset: () => { errors = 0; }, errors: () => errors, otherCpu }, k);
  finished = true;
  order(TO_PUB, { op: 'bye' });
  order(TO_SUBS, { op: 'bye' });
  await within(EXIT_MS, 'the clients exiting', Promise.all(exits));
  inbox.unsubscribe();
  await within(EXIT_MS, 'closing the hub', hub.close());
  return { oneWay };
}

/** Prints CPU ms and minor page faults per process since the previous reading (hub: this process); returns this reading. */
function printCpuSplit(previous: Map<string, [number, number]>, answers: readonly Report[]): Map<string, [number, number]> {
  const c = process.cpuUsage();
  const next = new Map<string, [number, number]>([['hub', [c.user + c.system, process.resourceUsage().minorPageFault]]]);
  for (const r of answers) if (r.op === 'cpu') next.set(r.who, [r.micros, r.faults ?? 0]);
  if (previous.size > 0) {
    const parts = [...next].map(([who, [us, faults]]) => {
      const [us0, faults0] = previous.get(who) ?? [0, 0];
      return `${who} ${Math.round((us - us0) / 1000)}ms ${faults - faults0}pf`;
    });
    process.stderr.write(`cpu since last reading: ${parts.join(', ')}\n`);
  }
  return next;
}
