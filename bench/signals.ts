/**
 * What a bench ended by a signal (SIGINT, SIGTERM, SIGHUP: Ctrl-C, `kill`, a `timeout`, a closed
 * terminal) still does before it exits as that signal would have ended it (128 + n): stop the
 * measurement under way (its process group) and sweep what it made, stop the nats-server.
 * Without it a killed bench left a sysvmq hub's queues in the kernel, its key file, a socket or
 * /dev/shm entries, and a running nats-server. SIGKILL cannot be caught: a bench killed with it
 * leaves those (`unibus doctor` finds them).
 * @module
 */

type Stop = () => void | Promise<void>;

const CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
const stops: Stop[] = [];
let installed = false;
let stopping = false;

/** True once a signal is ending the bench: start nothing new (its stop would never run). */
export function benchStopping(): boolean {
  return stopping;
}

/** Runs `stop` if a signal ends the bench (newest first); returns how to take it back. */
export function onBenchSignal(stop: Stop): () => void {
  install();
  stops.push(stop);
  return () => {
    const i = stops.indexOf(stop);
    if (i >= 0) stops.splice(i, 1);
  };
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const signal of Object.keys(CODES) as Array<keyof typeof CODES>) {
    // once: a second signal while stopping takes the default action and ends the bench at once.
    process.once(signal, () => void end(CODES[signal]));
  }
}

async function end(code: number): Promise<never> {
  stopping = true;
  for (const stop of stops.splice(0).reverse()) {
    try {
      await stop();
    } catch (err) {
      process.stderr.write(`bench: while stopping: ${(err as Error).message}\n`);
    }
  }
  process.exit(code);
}
