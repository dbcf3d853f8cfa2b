/** Every fuzz target, by name. Loaded lazily so a worker imports only what it runs. */
import type { FuzzTarget } from '../target.js';

const loaders: Record<string, () => Promise<FuzzTarget<never>>> = {
  'framing.length-prefix': async () => (await import('./framing.js')).framing as FuzzTarget<never>,
  'protocol.frames': async () => (await import('./protocol.js')).protocolFrames as FuzzTarget<never>,
  'protocol.decodePubFast': async () => (await import('./protocol.js')).pubFast as FuzzTarget<never>,
  'protocol.pub-round-trip': async () => (await import('./protocol.js')).pubRoundTrip as FuzzTarget<never>,
  'protocol.sample-frames': async () => (await import('./samples.js')).sampleFrames as FuzzTarget<never>,
  'subjects.grammar': async () => (await import('./protocol.js')).subjects as FuzzTarget<never>,
  'codec.msgpack-decode': async () => (await import('./msgpack.js')).msgpackDecode as FuzzTarget<never>,
  'codec.bin-round-trip': async () => (await import('./msgpack.js')).binRoundTrip as FuzzTarget<never>,
  'codec.plain-read': async () => (await import('./msgpack.js')).plainRead as FuzzTarget<never>,
  'codec.plain-write': async () => (await import('./msgpack.js')).plainWrite as FuzzTarget<never>,
  'codec.json-decode': async () => (await import('./msgpack.js')).jsonDecode as FuzzTarget<never>,
  'sysvmq.control-messages': async () => (await import('./sysvmq.js')).sysvmqMessages as FuzzTarget<never>,
  'sysvmq.round-trip': async () => (await import('./sysvmq.js')).sysvmqRoundTrip as FuzzTarget<never>,
  'shm.ring-records': async () => (await import('./shm.js')).shmRecords as FuzzTarget<never>,
  'spool.parse-record': async () => (await import('./spool.js')).spoolRecords as FuzzTarget<never>,
  'spool.log-reader': async () => (await import('./spool.js')).spoolLog as FuzzTarget<never>,
  'urls.every-scheme': async () => (await import('./urls.js')).urlTarget as FuzzTarget<never>,
  'cli.args': async () => (await import('./cli.js')).cliArgs as FuzzTarget<never>,
};

export const targetNames = Object.keys(loaders);

export async function targetNamed(name: string): Promise<FuzzTarget<never>> {
  const load = loaders[name];
  if (!load) throw new Error(`no fuzz target ${name} (known: ${targetNames.join(', ')})`);
  return load();
}
