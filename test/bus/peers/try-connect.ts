// Tries to connect once: `node try-connect.js <url>`. Prints `connected`, or `refused <code> <message>`.
import { Bus } from '../../../src/bus/bus.js';

try {
  const bus = await Bus.connect(process.argv[2]!, { reconnect: false, connectTimeout: 5000 });
  console.log('connected');
  await bus.close();
} catch (err) {
  console.log(`refused ${(err as { code?: string }).code} ${(err as Error).message}`);
}
