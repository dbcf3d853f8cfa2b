/** Signals as an Observable, in a real process: delivery, coalescing, and default restored on unsubscribe. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { signals, assertObservableSignal } from '../../src/process/signals.js';
import { script, spawnNode } from '../helpers/processes.js';

const listener = script(import.meta.url, './fixtures/signal-listener.js');

test('signals are observed; unsubscribing restores the default action', async () => {
  const child = spawnNode(listener);
  try {
    await child.waitLine(/^ready$/);
    child.kill('SIGHUP');
    await child.waitLine(/^unsubscribed$/);
    assert.ok(child.lines.includes('SIGHUP'));
    child.kill('SIGHUP');
    const { signal } = await child.waitExit();
    assert.is(signal, 'SIGHUP', 'SIGHUP killed the process once nobody listened');
  } finally {
    child.kill('SIGKILL');
  }
});

test('a burst of standard signals may coalesce: at least one and at most all are seen', async () => {
  const child = spawnNode(listener);
  try {
    await child.waitLine(/^ready$/);
    const sent = 500;
    for (let i = 0; i < sent; i += 1) child.kill('SIGUSR2');
    // Signals and stdin are separate paths into the loop: ask until the count is positive and stable.
    let last = -1;
    for (;;) {
      child.proc.stdin!.write('count\n');
      const n = Number((await child.waitLine(new RegExp(`^usr2=\\d+$`))).slice(5));
      child.lines.splice(child.lines.findIndex((l) => l.startsWith('usr2=')), 1);
      if (n > 0 && n === last) {
        assert.ok(n >= 1 && n <= sent, `seen=${n} sent=${sent}`);
        console.log(`  coalescing: sent=${sent} seen=${n}`);
        break;
      }
      last = n;
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    child.kill('SIGKILL');
  }
});

test('signals that Node cannot observe safely are refused with RangeError', () => {
  assert.throws(() => assertObservableSignal('SIGUSR1'), (e: Error) => e instanceof RangeError && /inspector/.test(e.message));
  assert.throws(() => assertObservableSignal('SIGKILL'), RangeError);
  assert.throws(() => assertObservableSignal('SIGSTOP'), RangeError);
  assert.throws(() => assertObservableSignal('SIGRTMIN'), /real-time/);
  assert.throws(() => signals('SIGUSR1' as never), RangeError);
  assert.not.throws(() => signals('SIGINT', 'SIGTERM', 'SIGUSR2'));
});

test.run();
