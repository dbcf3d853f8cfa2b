// Peer of spool-hub-kills.ts. `node stress-peer.js pub <url> <topic> <count> [rate]`: publishes the
// numbers [0, count) on `topic`, up to 100 at a time (about `rate` per second when given), and prints `acked N` whenever the first N have all
// resolved (on file://: all N are in the spool), then `done N`; it stays connected until stdin
// closes. `node stress-peer.js sub <url> <pattern>`: subscribes, flushes, prints `ready`, keeps per
// topic counts, prints `have N` (distinct messages) now and then, and on each stdin line prints
// one JSON report `{topic: {distinct, duplicates, reordered, counts}}`. `sub <url> <pattern> chatty`
// also publishes a heartbeat on `beat.<pid>` every 20 ms (outside any stress pattern), so its
// `up` log always has frames a restarted hub has not read, as a subscriber that publishes does.
import { createInterface } from 'node:readline';
import { Bus } from '../../src/bus/bus.js';

const [role, url, topicOrPattern, countText, rateText] = process.argv.slice(2) as [string, string, string, string?, string?];
const chatty = role === 'sub' && countText === 'chatty';
const bus = await Bus.connect(url, { reconnect: { initialDelay: 20, maxDelay: 500 } });
bus.on('reconnected', () => console.log('reconnected'));

if (role === 'pub') {
  const count = Number(countText);
  const rate = Number(rateText ?? 0);
  const t0 = Date.now();
  let acked = 0;
  while (acked < count) {
    const ahead = rate > 0 ? (acked / rate) * 1000 - (Date.now() - t0) : 0;
    if (ahead > 0) await new Promise((r) => setTimeout(r, ahead));
    const batch: Array<Promise<void>> = [];
    for (let i = acked; i < Math.min(count, acked + 100); i++) batch.push(bus.publish(topicOrPattern, i));
    await Promise.all(batch);
    acked += batch.length;
    if (acked % 1000 === 0 || acked === count) console.log(`acked ${acked}`);
  }
  console.log(`done ${acked}`);
  for await (const _ of createInterface({ input: process.stdin })) { /* wait for stdin to close */ }
  await bus.close();
} else {
  interface Seen { counts: number[]; distinct: number; duplicates: number; reordered: number; highest: number }
  const seen = new Map<string, Seen>();
  let distinct = 0;
  bus.subscribe(topicOrPattern).subscribe((m) => {
    let s = seen.get(m.topic);
    if (!s) seen.set(m.topic, s = { counts: [], distinct: 0, duplicates: 0, reordered: 0, highest: -1 });
    const n = m.data as number;
    const c = s.counts[n] ?? 0;
    s.counts[n] = c + 1;
    if (c > 0) {
      s.duplicates++;
      return;
    }
    s.distinct++;
    if (n < s.highest) s.reordered++; // a first arrival after a later message
    else s.highest = n;
    if (++distinct % 5000 === 0) console.log(`have ${distinct}`);
  });
  await bus.flush();
  console.log('ready');
  if (chatty) setInterval(() => void bus.publish(`beat.${process.pid}`, 0).catch(() => undefined), 20).unref();
  for await (const _ of createInterface({ input: process.stdin })) {
    const report: Record<string, Omit<Seen, 'highest' | 'counts'> & { counts: number[] }> = {};
    for (const [topic, s] of seen) {
      report[topic] = { distinct: s.distinct, duplicates: s.duplicates, reordered: s.reordered, counts: Array.from(s.counts, (c) => c ?? 0) };
    }
    console.log(`report ${JSON.stringify(report)}`);
  }
  await bus.close();
}
