/**
 * What a Bus-suite peer does, as functions, so the same role runs in a child process
 * (clients/bus-client.ts, for cross-process transports) or in-process (memory://).
 * Every role reports on `out` with one line per event; `ready` once its subscriptions are
 * confirmed by the hub (after a flush).
 */
import { Bus } from '../../bus/bus.js';

export type Out = (line: string) => void;

export async function runBusRole(url: string, role: string, args: string[], out: Out, stop: Promise<void>): Promise<void> {
  const bus = await Bus.connect(url, { name: `${role}-${process.pid}` });
  try {
    switch (role) {
      case 'publisher': {
        // publisher <topic> <count>: numbered messages, then flush (the hub has them all).
        const [topic, count] = args;
        for (let i = 0; i < Number(count); i++) await bus.publish(topic!, { i });
        await bus.flush();
        out('done');
        return;
      }
      case 'subscriber': {
        // subscriber <pattern> [queue]: one line per message: "<topic> <i>".
        const [pattern, queue] = args;
        bus.subscribe(pattern!, queue ? { queue } : {}).subscribe((m) => out(`${m.topic} ${(m.data as { i: number }).i}`));
        await bus.flush();
        out('ready');
        await stop;
        return;
      }
      case 'server': {
        // server <topic> [queue]: replies { echo, by: pid }.
        const [topic, queue] = args;
        bus.serve(topic!, (req) => ({ echo: req, by: process.pid, bus: bus.id }), queue ? { queue } : {});
        await bus.flush();
        out('ready');
        await stop;
        return;
      }
      case 'drainer': {
        // drainer <pattern> [queue]: a subscriber that, when told to stop, drains instead of closing.
        const [pattern, queue] = args;
        bus.subscribe(pattern!, queue ? { queue } : {}).subscribe((m) => out(`${m.topic} ${(m.data as { i: number }).i}`));
        await bus.flush();
        out('ready');
        await stop;
        await bus.drain({ timeout: 30_000 });
        out('drained');
        return;
      }
      case 'watcher': {
        // watcher <pattern>: reports how its subscription ends and the connection events.
        bus.subscribe(args[0]!).subscribe({
          complete: () => out('complete'),
          error: (e: Error & { code?: string }) => out(`error ${e.code ?? e.name}`),
        });
        bus.events.subscribe((e) => {
          if (e.type === 'disconnected') out(`event disconnected reconnecting=${String(e.reconnecting ?? false)}`);
        });
        await bus.flush();
        out('ready');
        await stop;
        return;
      }
      case 'drain-publisher': {
        // drain-publisher <topic> <count>: publishes without awaiting, then drains (no flush).
        const [topic, count] = args;
        for (let i = 0; i < Number(count); i++) bus.publish(topic!, { i }).catch((e: Error) => out(`error ${e.message}`));
        await bus.drain({ timeout: 30_000 });
        out('done');
        return;
      }
      case 'stalled': {
        // stalled <pattern>: a for-await subscriber that never pulls (a slow consumer).
        const it = bus.subscribe(args[0]!, { bufferSize: 8 })[Symbol.asyncIterator]();
        void it;
        bus.events.subscribe((e) => out(`event ${e.type}`));
        await bus.flush();
        out('ready');
        await stop;
        return;
      }
      default:
        throw new Error(`unknown role ${role}`);
    }
  } finally {
    await bus.close();
  }
}
