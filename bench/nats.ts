/**
 * The NATS server of the NATS cases: the one named by UNIBUS_BENCH_NATS, or else Debian's
 * nats-server started on a port the kernel picks, with max_payload raised for the 1 MiB rows.
 * Started only when a NATS case is selected; its pid goes to UNIBUS_BENCH_NATS_PID so that the
 * relay cases can count the server's CPU time.
 * @module
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onBenchSignal } from './signals.js';

/** True when NATS cases can run: a server is named, or nats-server is on PATH. */
export async function natsAvailable(): Promise<boolean> {
  if (process.env.UNIBUS_BENCH_NATS) return true;
  const { natsServerAvailable } = await import('../test/helpers/nats-server.js');
  return natsServerAvailable();
}

/** Starts a server unless one is named; returns how to stop it. */
export async function startNats(): Promise<() => Promise<void>> {
  if (process.env.UNIBUS_BENCH_NATS) return async () => undefined;
  const { NatsServer } = await import('../test/helpers/nats-server.js');
  const dir = mkdtempSync(join(tmpdir(), 'unibus-bench-nats-'));
  const config = join(dir, 'nats.conf');
  writeFileSync(config, 'max_payload: 8388608\n');
  let server: Awaited<ReturnType<typeof NatsServer.start>>;
  try {
    server = await NatsServer.start({ name: 'unibus-bench', config });
  } finally {
    // The server read its config when it started: removed now, a bench killed part-way (no
    // chance to run the stop below) leaves no directory behind.
    rmSync(dir, { recursive: true, force: true });
  }
  process.env.UNIBUS_BENCH_NATS = server.url;
  if (server.pid !== undefined) process.env.UNIBUS_BENCH_NATS_PID = String(server.pid);
  const pid = server.pid;
  const unwatch = pid === undefined ? () => undefined : onBenchSignal(() => {
    try { process.kill(pid, 'SIGTERM'); } catch { /* already gone */ }
  });
  return async () => {
    unwatch();
    await server.kill('SIGTERM');
    delete process.env.UNIBUS_BENCH_NATS;
    delete process.env.UNIBUS_BENCH_NATS_PID;
  };
}
