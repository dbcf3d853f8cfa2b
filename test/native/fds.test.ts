import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, readlinkSync, readdirSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import {
  pipe, openFd, closeFd, readFd, writeFd, setNonBlocking, isNonBlocking, isCloseOnExec,
  setCloseOnExec, setPipeSize, getPipeSize, mkfifo, isFifo, O, WOULD_BLOCK, PIPE_BUF,
} from '../../src/native/fds.js';
import { uniqueName } from '../helpers/run-id.js';
import { within } from '../helpers/watchdog.js';

const enc = new TextEncoder();
const dec = new TextDecoder();
const openFds = () => readdirSync('/proc/self/fd').length;

test('pipe2 gives two close-on-exec blocking ends that /proc shows as pipe:[…]', () => {
  const [r, w] = pipe();
  try {
    assert.match(readlinkSync(`/proc/self/fd/${r}`), /^pipe:\[\d+\]$/);
    assert.is(readlinkSync(`/proc/self/fd/${r}`), readlinkSync(`/proc/self/fd/${w}`));
    assert.ok(isCloseOnExec(r) && isCloseOnExec(w));
    assert.not.ok(isNonBlocking(r) || isNonBlocking(w));
  } finally { closeFd(r); closeFd(w); }
});

test('O_NONBLOCK on one end leaves the other end blocking; empty read says WOULD_BLOCK; EOF is 0', () => {
  const [r, w] = pipe();
  setNonBlocking(r, true);
  assert.ok(isNonBlocking(r));
  assert.not.ok(isNonBlocking(w));
  const buf = new Uint8Array(64);
  assert.is(readFd(r, buf), WOULD_BLOCK);
  assert.is(writeFd(w, enc.encode('hello')), 5);
  // A view with an offset is read into at its own offset.
  const view = buf.subarray(10, 20);
  assert.is(readFd(r, view), 5);
  assert.is(dec.decode(buf.subarray(10, 15)), 'hello');
  closeFd(w);
  assert.is(readFd(r, buf), 0);
  closeFd(r);
});

test('a full non-blocking write end says WOULD_BLOCK; a write with no reader fails EPIPE', () => {
  const [r, w] = pipe();
  setNonBlocking(w, true);
  const chunk = new Uint8Array(PIPE_BUF * 4);
  let total = 0;
  for (;;) {
    const n = writeFd(w, chunk);
    if (n === WOULD_BLOCK) break;
    total += n;
  }
  assert.ok(total >= getPipeSize(w), `filled ${total}`);
  closeFd(r);
  try {
    writeFd(w, chunk);
    assert.unreachable('write without a reader succeeded');
  } catch (err) {
    assert.is((err as NodeJS.ErrnoException).code, 'EPIPE');
    assert.is((err as NodeJS.ErrnoException).syscall, 'write');
  }
  closeFd(w);
});

test('F_SETPIPE_SZ raises the pipe buffer to 1 MiB', () => {
  const [r, w] = pipe();
  try {
    assert.is(getPipeSize(w), 65536);
    const got = setPipeSize(w, 1 << 20);
    assert.ok(got >= 1 << 20);
    assert.is(getPipeSize(r), got);
  } finally { closeFd(r); closeFd(w); }
});

test('FD_CLOEXEC can be cleared and set', () => {
  const [r, w] = pipe();
  setCloseOnExec(r, false);
  assert.not.ok(isCloseOnExec(r));
  setCloseOnExec(r, true);
  assert.ok(isCloseOnExec(r));
  closeFd(r); closeFd(w);
});

test('errors keep Node\'s shape: code, errno, syscall', () => {
  const [r, w] = pipe();
  closeFd(r); closeFd(w);
  try {
    readFd(r, new Uint8Array(1));
    assert.unreachable();
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    assert.is(e.code, 'EBADF');
    assert.is(e.errno, -9);
    assert.is(e.syscall, 'read');
  }
});

test('mkfifo: owner-only FIFO; EEXIST with path; ENXIO for a writer without reader; O_NOFOLLOW refuses symlinks', () => {
  // mkdtemp makes it 0700; no shared parent dir is left behind.
  const dir = mkdtempSync(join('/tmp', `${uniqueName('fds')}-`));
  try {
    const path = join(dir, 'f');
    mkfifo(path, 0o600);
    const st = statSync(path);
    assert.ok(st.isFIFO());
    assert.is(st.mode & 0o777, 0o600);
    try { mkfifo(path); assert.unreachable(); } catch (err) {
      const e = err as NodeJS.ErrnoException;
      assert.is(e.code, 'EEXIST'); assert.is(e.syscall, 'mkfifo'); assert.is(e.path, path);
    }
    try { openFd(path, O.WRONLY | O.NONBLOCK); assert.unreachable(); } catch (err) {
      assert.is((err as NodeJS.ErrnoException).code, 'ENXIO');
    }
    const r = openFd(path, O.RDONLY | O.NONBLOCK | O.NOFOLLOW);
    const w = openFd(path, O.WRONLY | O.NONBLOCK | O.NOFOLLOW);
    assert.ok(isFifo(r) && isFifo(w));
    assert.ok(isCloseOnExec(r) && isCloseOnExec(w));
    assert.is(writeFd(w, enc.encode('x')), 1);
    const buf = new Uint8Array(4);
    assert.is(readFd(r, buf), 1);
    closeFd(w);
    assert.is(readFd(r, buf), 0, 'writer departure shows as EOF');
    closeFd(r);
    symlinkSync(path, join(dir, 'link'));
    try { openFd(join(dir, 'link'), O.RDONLY | O.NONBLOCK | O.NOFOLLOW); assert.unreachable(); } catch (err) {
      assert.is((err as NodeJS.ErrnoException).code, 'ELOOP');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a child sees only the pipe end handed to it, as a real blocking pipe', async () => {
  const before = openFds();
  const [r, w] = pipe();
  const [r2, w2] = pipe(); // never handed over: must not leak (O_CLOEXEC)
  const child = spawn('/bin/sh', ['-c',
    'readlink /proc/$$/fd/3; cat /proc/$$/fdinfo/3 | grep flags; ls /proc/$$/fd; echo from-child >&3'], {
    stdio: ['ignore', 'pipe', 'inherit', w],
  });
  closeFd(w);
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; });
  await within(10_000, 'child exit', new Promise((res) => child.once('close', res)));
  const lines = out.trim().split('\n');
  assert.match(lines[0]!, /^pipe:\[\d+\]$/);
  const flags = parseInt(/flags:\s*(\d+)/.exec(out)![1]!, 8);
  assert.is(flags & O.NONBLOCK, 0, 'child end is blocking');
  assert.not.ok(lines.includes(String(w2)) && w2 !== 3, `fd ${w2} leaked into the child: ${out}`);
  assert.not.ok(lines.includes(String(r2)), `fd ${r2} leaked into the child: ${out}`);
  setNonBlocking(r, true);
  const buf = new Uint8Array(64);
  const n = readFd(r, buf);
  assert.is(dec.decode(buf.subarray(0, n)), 'from-child\n');
  assert.is(readFd(r, buf), 0, 'EOF once the child exited and the parent closed its copy');
  closeFd(r); closeFd(r2); closeFd(w2);
  assert.is(openFds(), before);
});

test.run();
