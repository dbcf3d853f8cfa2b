/**
 * Run under a runtime (not by the test runner): tries Bus.listen and Bus.connect on each scheme
 * given, prints one JSON line per attempt with the error code and message, exits 0.
 * Usage: <runtime> unsupported-probe.js <tag> <scheme>...
 */
import { Bus } from '../../src/index.js';

const [tag, ...schemes] = process.argv.slice(2);
const urls: Record<string, string> = {
  pipe: 'pipe:',
  fifo: `fifo:///tmp/${tag}-fifo`,
  shm: `shm://${tag}-shm`,
};
for (const scheme of schemes) {
  for (const side of ['listen', 'connect'] as const) {
    try {
      const bus = side === 'listen' ? await Bus.listen(urls[scheme]!) : await Bus.connect(urls[scheme]!, { timeout: 2000 });
      await bus.close();
      console.log(JSON.stringify({ scheme, side, code: 'none' }));
    } catch (err) {
      const e = err as { code?: string; message?: string };
      console.log(JSON.stringify({ scheme, side, code: e.code, message: e.message }));
    }
  }
}
