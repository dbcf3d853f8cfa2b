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
import { brokerCpuMicros, Mailbox, processCounts, unwatchGc, watchGc, type ProcessCounts, TO_DRIVER, TO_PUB, TO_SUBS, type Order, type Report } from './control.js';

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
  if (DEBUG) watchGc();
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
    lastN = n;
    order(TO_SUBS, { op: 'count', n });
    await take('armed', k);
    const t0 = now();
    order(TO_PUB, { op: 'send', n });
    const counted = await take('counted', k);
    for (const r of counted) if (r.op === 'counted') errors += r.errors;
    return now() - t0;
  };
  // BENCH_DEBUG=1: each process's CPU between two readings (the second pair: the measured batch).
  let lastCpu = new Map<string, Reading>();
  let lastN = 0;
  const otherCpu = async (): Promise<number> => {
    order(TO_PUB, { op: 'cpu' });
    order(TO_SUBS, { op: 'cpu' });
    const answers = await take('cpu', k + 1);
    if (DEBUG) lastCpu = printCpuSplit(lastCpu, answers, lastN);
    return answers.reduce((sum, r) => sum + (r.op === 'cpu' ? r.micros : 0), brokerCpuMicros(url));
  };
  const oneWay = await measureOneWay(spec, batch, { reset: () => { errors = 0; }, errors: () => errors, otherCpu }, k);
  finished = true;
  order(TO_PUB, { op: 'bye' });
  order(TO_SUBS, { op: 'bye' });
  await within(EXIT_MS, 'the clients exiting', Promise.all(exits));
  inbox.unsubscribe();
  await within(EXIT_MS, 'closing the hub', hub.close());
  unwatchGc();
  return { oneWay };
}

type Reading = readonly [micros: number, counts: ProcessCounts | undefined];

/**
 * Prints, per process since the previous reading (hub: this process), CPU ms and, per message of
 * the last batch (`n`, per subscriber): CPU µs, page faults, read and write system calls, sleeps,
 * preemptions and GC pause µs (wall time: a pause the process spent off its core counts whole);
 * returns this reading.
 */
function printCpuSplit(previous: Map<string, Reading>, answers: readonly Report[], n: number): Map<string, Reading> {
  const c = process.cpuUsage();
  const next = new Map<string, Reading>([['hub', [c.user + c.system, processCounts()]]]);
  for (const r of answers) if (r.op === 'cpu') next.set(r.who, [r.micros, r.counts]);
  if (previous.size > 0) {
    const per = (x: number): string => (x / n).toFixed(x / n < 10 ? 3 : 1);
    const parts = [...next].map(([who, [us, counts]]) => {
      const [us0, counts0] = previous.get(who) ?? [0, undefined];
      const d = (k: keyof ProcessCounts): number => (counts?.[k] ?? 0) - (counts0?.[k] ?? 0);
      return `${who} ${Math.round((us - us0) / 1000)}ms (${per(us - us0)} µs ${per(d('faults'))} pf ${per(d('reads'))} rd ${per(d('writes'))} wr ${per(d('sleeps'))} sl ${per(d('preempted'))} pre ${per(1000 * d('gcMs'))} gc µs /msg)`;
    });
    process.stderr.write(`since last reading, ${n} msgs: ${parts.join(', ')}\n`);
  }
  return next;
}
