/**
 * What the unibus conformance suites need to check `abstract://`: fresh URLs, how to start a
 * client process (preloading register.js so the child knows the scheme), a raw peer that writes
 * garbage, and what of a URL is left behind (an abstract name still bound).
 * @module
 */
import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import { spawnNode, type TransportFixture } from 'unibus/transport-kit';
import { abstractTransport, socketAddress } from './abstract-transport.js';

const preload = fileURLToPath(new URL('./register.js', import.meta.url));
const prefix = process.env.UNIBUS_TEST_RUN ?? 'example';
let counter = 0;

/** A length header far above any maxFrameSize, then bytes that are no frame at all. */
const GARBAGE = Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xf0]), Buffer.from('not a frame '.repeat(80))]);

/** Whether the abstract name of `url` is still bound (/proc/net/unix shows it as @name). */
function bound(url: string): boolean {
  const name = `@${socketAddress(url).slice(1)}`;
  // Node binds the whole sun_path: the name is padded with NULs, shown as trailing @.
  return readFileSync('/proc/net/unix', 'utf8').split('\n').some((line) => line.split(' ').at(-1)?.replace(/@+$/, '') === name);
}

export const abstractFixture: TransportFixture = {
  scheme: 'abstract',
  capabilities: abstractTransport.capabilities,
  preload,
  url: (label) => `abstract://${prefix}-${label}-${process.pid.toString(36)}${++counter}`,
  invalidUrls: ['abstract://', 'abstract://a/b', 'abstract://..x', 'abstract://x?allow=root', `abstract://${'n'.repeat(91)}`, 'unix:///wrong.sock', 'not a url'],
  listen: (url, options) => abstractTransport.listen(url, options),
  connect: (url, options) => abstractTransport.connect(url, options),
  spawnClient: (_listener, url, script, args, env) => spawnNode(script, [...args], { ...env, UNIBUS_URL: url }, ['--import', preload]),

  injectGarbage: (url) => new Promise<void>((resolve) => {
    const socket = createConnection({ path: socketAddress(url) });
    const timer = setTimeout(() => socket.destroy(), 5000);
    socket.on('connect', () => socket.write(GARBAGE));
    socket.on('error', () => undefined); // the hub drops us: expected
    socket.on('close', () => { clearTimeout(timer); resolve(); });
    socket.resume();
  }),

  leftovers: async (url) => (bound(url) ? [`abstract socket ${url}`] : []),
};
