/**
 * Machine limits that make transports fail or crawl: System V message queue and shared memory
 * limits, /dev/shm size and free space, the open-files limit. Read from /proc and statfs only.
 * @module
 */
import { readFileSync, statfsSync } from 'node:fs';
import { DEFAULT_MSGMAX, DEFAULT_MSGMNB } from '../../native/sysv-msg.js';
import { fail, ok, warn, type Finding } from './finding.js';

const MiB = 1024 * 1024;
/** Two rings of the default 4 MiB per shm:// client, and room for a few. */
const SHM_FREE_FAIL = 16 * MiB;
const SHM_FREE_WARN = 256 * MiB;

function readNumber(path: string): number | undefined {
  try {
    const n = Number(readFileSync(path, 'utf8').trim());
    return Number.isFinite(n) ? n : undefined;
  } catch {
    return undefined;
  }
}

export function sysvLimits(): Finding[] {
  const out: Finding[] = [];
  const msgmax = readNumber('/proc/sys/kernel/msgmax');
  const msgmnb = readNumber('/proc/sys/kernel/msgmnb');
  const msgmni = readNumber('/proc/sys/kernel/msgmni');
  const shmmax = readNumber('/proc/sys/kernel/shmmax');
  if (msgmax === undefined || msgmnb === undefined || msgmni === undefined) {
    return [fail('System V message queues: /proc/sys/kernel/msg* unreadable (no SysV IPC in this kernel or container?)',
      'use another transport than sysvmq:// here, or a kernel with CONFIG_SYSVIPC')];
  }
  if (msgmax < 1024) out.push(fail(`kernel.msgmax=${msgmax}: sysvmq:// needs messages of at least 1024 bytes`, `sysctl -w kernel.msgmax=${DEFAULT_MSGMAX}`));
  else if (msgmax < DEFAULT_MSGMAX) out.push(warn(`kernel.msgmax=${msgmax} (< ${DEFAULT_MSGMAX}): sysvmq:// frames go in smaller pieces, slower`, `sysctl -w kernel.msgmax=${DEFAULT_MSGMAX}`));
  else out.push(ok(`kernel.msgmax=${msgmax}`));
  if (msgmnb < msgmax) out.push(fail(`kernel.msgmnb=${msgmnb} is below msgmax=${msgmax}: a full-size message never fits a queue`, `sysctl -w kernel.msgmnb=${Math.max(DEFAULT_MSGMNB, msgmax * 2)}`));
  else if (msgmnb < DEFAULT_MSGMNB) out.push(warn(`kernel.msgmnb=${msgmnb} (< ${DEFAULT_MSGMNB}): sysvmq:// queues fill quickly`, `sysctl -w kernel.msgmnb=${DEFAULT_MSGMNB}`));
  else out.push(ok(`kernel.msgmnb=${msgmnb}`));
  const used = queuesInUse();
  if (msgmni - used < 16) {
    out.push(fail(`kernel.msgmni=${msgmni} with ${used} queues in use: new sysvmq:// hubs and clients (2 queues each) fail with ENOSPC`,
      `remove leftovers (below), or sysctl -w kernel.msgmni=${Math.max(32000, msgmni * 2)}`));
  } else out.push(ok(`kernel.msgmni=${msgmni} (${used} queues in use)`));
  if (shmmax === undefined) out.push(warn('kernel.shmmax unreadable', 'shm://?api=sysv may fail; the default api=posix does not use it'));
  else if (shmmax < 16 * MiB) out.push(warn(`kernel.shmmax=${shmmax}: shm://?api=sysv segments (2 rings, 4 MiB each by default) do not fit`, `sysctl -w kernel.shmmax=${64 * MiB}, or keep api=posix (the default)`));
  else out.push(ok(`kernel.shmmax=${shmmax >= 2 ** 60 ? 'unlimited' : shmmax}`));
  return out;
}

function queuesInUse(): number {
  try {
    return readFileSync('/proc/sysvipc/msg', 'utf8').trim().split('\n').length - 1;
  } catch {
    return 0;
  }
}

export function devShm(): Finding[] {
  let st;
  try {
    st = statfsSync('/dev/shm');
  } catch {
    return [fail('/dev/shm is missing: shm:// (api=posix) cannot make segments', 'mount -t tmpfs -o size=512m tmpfs /dev/shm (containers: --shm-size=512m)')];
  }
  const size = st.blocks * st.bsize;
  const free = st.bavail * st.bsize;
  const what = `/dev/shm: ${mib(free)} free of ${mib(size)}`;
  if (free < SHM_FREE_FAIL) return [fail(`${what}: shm:// clients (two 4 MiB rings each by default) will fail`, 'remove leftovers (below), make it bigger (mount -o remount,size=512m /dev/shm; containers: --shm-size=512m), or use shm://name?size=256KiB')];
  if (free < SHM_FREE_WARN) return [warn(`${what}: room for few shm:// clients`, 'mount -o remount,size=512m /dev/shm (containers: --shm-size=512m)')];
  return [ok(what)];
}

export function openFiles(): Finding[] {
  let soft: string | undefined;
  let hard: string | undefined;
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    [soft, hard] = line?.slice('Max open files'.length).trim().split(/\s+/) ?? [];
  } catch { /* below */ }
  if (soft === undefined) return [warn('RLIMIT_NOFILE: /proc/self/limits unreadable', 'check `ulimit -n`')];
  const n = soft === 'unlimited' ? Infinity : Number(soft);
  const what = `open files limit (RLIMIT_NOFILE) ${soft} (hard ${hard})`;
  // A hub holds 1-4 descriptors per client (socket, FIFOs, doorbells).
  if (n < 256) return [fail(`${what}: a hub runs out of descriptors after a few dozen clients`, 'ulimit -n 65536 (systemd: LimitNOFILE=65536)')];
  if (n < 4096) return [warn(`${what}: a hub serves at most a few hundred clients`, 'ulimit -n 65536 (systemd: LimitNOFILE=65536)')];
  return [ok(what)];
}

function mib(n: number): string {
  return n >= 1024 * MiB ? `${(n / 1024 / MiB).toFixed(1)} GiB` : `${(n / MiB).toFixed(1)} MiB`;
}
