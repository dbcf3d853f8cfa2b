/**
 * A client process of the relay and fan-out cases: `pub` publishes payloads on `bench.data`
 * when told; `sub<i>` subscribes to it and counts what arrives. Both answer the driver's
 * control messages (control.ts) until `bye`.
 * @module
 */
import { Bus } from '../../src/index.js';
import { makePayload, payloadSize, type CaseSpec } from '../link.js';
import { DATA, processCounts, unwatchGc, watchGc, TO_DRIVER, TO_PUB, TO_SUBS, type Order, type Report } from './control.js';

const DEBUG = Boolean(process.env['BENCH_DEBUG']);

/** Pending publish promises allowed before the publisher waits (as the two-process Bus case). */
const WINDOW = 256;
/** Payload bytes published before the publisher waits (as the two-process Bus case). */
const WINDOW_BYTES = 1024 * 1024;

export async function relayPeer(spec: CaseSpec, who: string): Promise<void> {
  // A hub that dies ends its clients (no reconnecting forever); NATS clients are ended by the driver.
  if (DEBUG) watchGc();
  const bus = await Bus.connect(spec.url!, spec.url!.startsWith('nats:') ? {} : { reconnect: false });
  const report = (r: Report): void => { void bus.publish(TO_DRIVER, r); };
  const payload = makePayload('bytes', spec.size, spec.shape);
  let bye!: () => void;
  const done = new Promise<void>((resolve) => { bye = resolve; });
  let failed: (e: unknown) => void = () => undefined;
  const failure = new Promise<never>((_, reject) => { failed = reject; });

  const publishMany = async (n: number): Promise<void> => {
    let last: Promise<void> | undefined;
    const window = Math.max(1, Math.min(WINDOW, Math.floor(WINDOW_BYTES / Math.max(1, payloadSize(payload)))));
    for (let i = 1; i <= n; i++) {
      last = bus.publish(DATA, payload);
      if (i % window === 0) await last;
    }
    await last;
  };
  let counting = 0;
  let errors = 0;
  const onOrder = (o: Order): void => {
    switch (o.op) {
      case 'send': publishMany(o.n).catch(failed); break;
      case 'count': counting = o.n; errors = 0; report({ op: 'armed', who }); break;
      case 'cpu': {
        const c = process.cpuUsage();
        report({ op: 'cpu', who, micros: c.user + c.system, ...(DEBUG ? { counts: processCounts() } : {}) });
        break;
      }
      case 'bye': bye(); break;
    }
  };
  const fail = (e: unknown): void => failed(e);
  const subs = [bus.subscribe(who === 'pub' ? TO_PUB : TO_SUBS).subscribe({ next: (m: { data: unknown }) => onOrder(m.data as Order), error: fail })];
  if (who !== 'pub') {
    subs.push(bus.subscribe(DATA).subscribe({
      next: (m: { data: unknown }) => {
        if (payloadSize(m.data) !== spec.size || counting === 0) errors++;
        if (counting > 0 && --counting === 0) report({ op: 'counted', who, errors });
      },
      error: fail,
    }));
  }
  // The hub (or the NATS server) must know our subscriptions before the driver relies on them.
  await bus.flush();
  report({ op: 'ready', who });
  await Promise.race([done, failure]);
  for (const s of subs) s.unsubscribe();
  await bus.close();
  unwatchGc();
}
