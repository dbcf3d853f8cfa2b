/**
 * Bus-suite peers: a child process for cross-process transports (started through the fixture,
 * so `pipe:` children inherit their fds from the hub), or the same role in-process otherwise.
 */
import { Child, jsCommand, preloadArgs, script } from './processes.js';
import type { Bus } from '../../bus/bus.js';
import type { TransportFixture } from './fixture.js';
import { runBusRole } from './bus-roles.js';
import { within } from './watchdog.js';

export interface Peer {
  readonly lines: string[];
  readonly pid: number | undefined;
  /** What the peer wrote on stderr (cross-process peers), for failure messages. */
  readonly stderr: string;
  waitLine(re: RegExp, ms?: number): Promise<string>;
  /** Asks the peer to finish (stdin EOF / stop promise) and waits for it. */
  stop(): Promise<void>;
  kill(signal: NodeJS.Signals): void;
}

const clientScript = script(import.meta.url, './clients/bus-client.js');

export function startPeer(fixture: TransportFixture, hub: Bus, url: string, role: string, args: string[]): Peer {
  if (fixture.capabilities.crossProcess) {
    let child: Child;
    if (fixture.capabilities.spawnsClients) {
      const spawned = hub.spawn(...jsCommand(clientScript, [role, ...args], preloadArgs(fixture)), { stdio: 'pipe', env: { UNIBUS_URL: url } });
      child = new Child(spawned.child);
    } else {
      child = fixture.spawnClient(undefined as never, url, clientScript, [role, ...args], {});
    }
    return {
      lines: child.lines,
      pid: child.pid,
      get stderr() { return `${child.stderr}${child.proc.exitCode !== null || child.proc.signalCode !== null ? ` (exit ${child.proc.exitCode ?? child.proc.signalCode})` : ''}`; },
      waitLine: (re, ms = 60_000) => child.waitLine(re, ms),
      stop: async () => {
        child.proc.stdin?.end();
        await child.waitExit(30_000);
      },
      kill: (signal) => child.kill(signal),
    };
  }
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  let end!: () => void;
  const stopped = new Promise<void>((r) => { end = r; });
  const running = runBusRole(url, role, args, (line) => {
    lines.push(line);
    for (const w of waiters.splice(0)) if (w.re.test(line)) w.resolve(line); else waiters.push(w);
  }, stopped);
  return {
    lines,
    pid: undefined,
    stderr: '',
    waitLine: (re, ms = 15_000) => {
      const seen = lines.find((l) => re.test(l));
      if (seen) return Promise.resolve(seen);
      return within(ms, `in-process peer printing ${re}`, new Promise((resolve) => waiters.push({ re, resolve })));
    },
    stop: async () => {
      end();
      await within(30_000, 'in-process peer stopping', running);
    },
    kill: () => end(),
  };
}
