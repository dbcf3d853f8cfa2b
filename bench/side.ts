/**
 * One side of one measurement: `node dist/bench/side.js parent|child '<CaseSpec JSON>'`.
 * The orchestrator (run.ts) starts the parent; the parent starts the child (itself, through a
 * transport's listener where the scheme requires it) and prints one `RESULT {…}` line.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { loadFactory } from './links/index.js';
import type { CaseSpec } from './link.js';
import { Driver, respond, type OneWayResult, type PingResult } from './protocol.js';

/** What the parent prints after `RESULT `. */
export interface SideResult {
  readonly oneWay: OneWayResult;
  readonly ping?: PingResult;
  /** Round trips through request/reply, where the link has it. */
  readonly request?: PingResult;
}

/** Milliseconds a side waits for the other to finish or for its own resources to close. */
const GRACE_MS = 5000;

function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function parent(spec: CaseSpec, specJson: string): Promise<void> {
  const factory = await loadFactory(spec);
  const self = fileURLToPath(import.meta.url);
  // The child gets this process's Node flags (e.g. --cpu-prof when profiling a case).
  const end = await factory.parent(spec, { command: process.execPath, args: [...process.execArgv, self, 'child', specJson] });
  const driver = new Driver(end.link, spec.size);
  let phase = 'before it was ready';
  const died = end.otherDone.then((code) => { throw new Error(`the other side ended ${phase}: ${String(code)}`); });
  died.catch(() => { /* it ends normally after bye */ });
  await within(30_000, 'the other side being ready', Promise.race([driver.ready(), died]));
  // The other side ending mid-measurement (e.g. dropped by the hub as a slow consumer) fails it
  // now: the counts it owes never come, and the 90 s watchdog said nothing of why.
  phase = 'during the measurement';
  const untilDied = <T>(p: Promise<T>): Promise<T> => Promise.race([p, died]);
  const oneWay = await untilDied(driver.oneWay(spec, end.sameProcess, factory.payloadKind));
  const ping = spec.pingMs > 0 ? await untilDied(driver.ping(spec, factory.payloadKind)) : undefined;
  const requesting = spec.pingMs > 0 ? driver.request(spec, factory.payloadKind) : undefined;
  const request = requesting ? await untilDied(requesting) : undefined;
  phase = 'after the measurement';
  driver.bye();
  const result: SideResult = { oneWay, ...(ping ? { ping } : {}), ...(request ? { request } : {}) };
  process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  await within(GRACE_MS, 'the other side finishing', end.otherDone);
  await within(GRACE_MS, 'closing the parent side', end.close());
}

async function child(spec: CaseSpec): Promise<void> {
  const factory = await loadFactory(spec);
  const link = await factory.child(spec);
  await respond(link, spec, factory.payloadKind);
  await within(GRACE_MS, 'closing the child side', link.close());
}

/** The relay and fan-out cases (kind `relay`): a hub, one publisher and N subscriber clients. */
async function relay(role: string, spec: CaseSpec, specJson: string): Promise<void> {
  if (role === 'parent') {
    const { relayHub } = await import('./relay/hub.js');
    const self = fileURLToPath(import.meta.url);
    const command = (peer: string): { command: string; args: string[] } => ({ command: process.execPath, args: [...process.execArgv, self, peer, specJson] });
    const result = await relayHub(spec, command);
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
  } else {
    const { relayPeer } = await import('./relay/peer.js');
    await relayPeer(spec, role);
  }
}

const [role, specJson] = process.argv.slice(2);
if (!role || !/^(parent|child|pub|sub\d+)$/.test(role) || !specJson) {
  process.stderr.write('usage: side.js parent|child|pub|sub<i> <spec JSON>\n');
  process.exit(2);
}
const spec = JSON.parse(specJson) as CaseSpec;
try {
  if (spec.kind === 'relay') await relay(role, spec, specJson);
  else await (role === 'parent' ? parent(spec, specJson) : child(spec));
} catch (err) {
  process.stderr.write(`bench ${role} ${spec.name} ${spec.size} B: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
}
// Everything is closed: the process should now exit on its own. If a handle lingers, say so
// (a transport that keeps a process alive after close() is a bug worth seeing) and leave.
setTimeout(() => {
  process.stderr.write(`bench ${role} ${spec.name}: process still alive ${GRACE_MS} ms after close\n`);
  process.exit(0);
}, GRACE_MS).unref();
