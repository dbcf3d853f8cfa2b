// A pipe: child for pipe.test.ts. Modes: `echo` (echo frames until EOF), `burst N` (send N
// frames, then exit at once), `info` (print what it sees about its fds as one JSON line, then echo).
import { execFileSync } from 'node:child_process';
import { readFileSync, readlinkSync } from 'node:fs';
import { pipeTransport } from '../../../src/transports/pipe/pipe-transport.js';
import { isCloseOnExec } from '../../../src/native/fds.js';

const [mode = 'echo', arg = '0'] = process.argv.slice(2);
const fdFlags = (fd: number) => parseInt(/flags:\s*(\d+)/.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))![1]!, 8);

const before = mode === 'info' ? { env: process.env.UNIBUS_PIPE_FDS, flags3: fdFlags(3), flags4: fdFlags(4) } : undefined;
const conn = await pipeTransport.connect('pipe:');

if (mode === 'info') {
  const grandchild = execFileSync('/bin/sh', ['-c', 'echo "env=${UNIBUS_PIPE_FDS-unset}"; for f in /proc/$$/fd/*; do echo "$f $(readlink $f)"; done; true'], { encoding: 'utf8' });
  let second = 'connected';
  try { await pipeTransport.connect('pipe:'); } catch (err) { second = (err as Error).name; }
  console.log(JSON.stringify({
    before,
    after: { env: process.env.UNIBUS_PIPE_FDS ?? null, cloexec3: isCloseOnExec(3), cloexec4: isCloseOnExec(4) },
    links: [readlinkSync('/proc/self/fd/3'), readlinkSync('/proc/self/fd/4')],
    grandchild, second, peer: conn.peer,
  }));
}

if (mode === 'burst') {
  for (let i = 0; i < Number(arg); i++) conn.write(new TextEncoder().encode(`frame ${i}`));
  // Exits as soon as the frames are accepted: a peer gone must not be its data gone.
  await conn.close();
  process.exit(0);
}

for await (const frame of conn) await conn.send(frame);
process.exit(0);
