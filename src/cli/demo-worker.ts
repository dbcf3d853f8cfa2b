/** A demo worker process: a sensor that publishes typed readings, or a monitor that subscribes. */
import { Bus } from '../bus/bus.js';
import type { DemoServices, DemoTopics } from './demo-topics.js';

export async function runWorker(url: string, role: string, room: string): Promise<void> {
  const bus = await Bus.connect<DemoTopics, DemoServices>(url, { name: `${role}-${room}` });
  if (role === 'sensor') {
    let sent = 0;
    for (let i = 0; i < 5; i++) {
      await bus.publish(`sensor.${room}.temp`, { celsius: 19 + Math.round(Math.random() * 60) / 10, at: Date.now() });
      await bus.publish(`sensor.${room}.humidity`, { percent: 40 + Math.round(Math.random() * 20), at: Date.now() });
      sent += 2;
      await new Promise((r) => setTimeout(r, 150));
    }
    await bus.publish('demo.done', { worker: `sensor-${room}`, sent });
    await bus.flush();
  } else {
    // The monitor serves averages per room over request/reply while it watches every temperature.
    const seen = new Map<string, number[]>();
    bus.subscribe('sensor.*.temp').subscribe((m) => {
      const r = m.topic.split('.')[1]!;
      seen.set(r, [...(seen.get(r) ?? []), m.data.celsius]);
      process.stdout.write(`  monitor  ${m.topic.padEnd(22)} ${m.data.celsius.toFixed(1)} °C\n`);
    });
    bus.serve('stats.average', ({ room: r }) => {
      const xs = seen.get(r) ?? [];
      return { room: r, average: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), samples: xs.length };
    });
    const stop = new Promise<void>((resolve) => bus.subscribe('demo.stop').subscribe(() => resolve()));
    await bus.flush(); // the hub has our subscriptions: now tell it we are ready
    await bus.publish('demo.ready', { worker: 'monitor' });
    process.stdout.write('  monitor  ready\n');
    await stop;
  }
  await bus.close();
}
