/**
 * Baseline (b): Node's child-process IPC channel (`process.send` / `'message'`), with
 * `serialization: 'advanced'` (V8's structured clone; payloads are bytes) or `'json'`
 * (Node's default; payloads are strings of the same length, since bytes have no JSON form).
 *
 * Backpressure: `send()` returns false when Node's write queue is long; a send callback every
 * few messages (every message from 256 KiB up) lets `drained()` wait until the queue has
 * been written up to that message, so the queue stays bounded.
 * @module
 */
import type { ChildProcess } from 'node:child_process';
import type { CaseSpec, ChildCommand, Link, LinkFactory, ParentEnd } from '../link.js';
import { Inbox, spawnSide } from './spawn.js';

type SendFn = (message: unknown, callback?: (error: Error | null) => void) => boolean;

class IpcLink implements Link {
  readonly #send: SendFn;
  readonly #inbox = new Inbox();
  readonly #stride: number;
  #count = 0;
  #lastWritten: Promise<void> = Promise.resolve();

  constructor(send: SendFn, target: NodeJS.Process | ChildProcess, size: number) {
    this.#send = send;
    this.#stride = Math.max(1, Math.min(256, Math.floor((256 * 1024) / Math.max(1, size))));
    target.on('message', (value: unknown) => this.#inbox.deliver(value));
  }

  send(value: unknown): boolean {
    if (++this.#count % this.#stride !== 0) return this.#send(value);
    let ok = true;
    this.#lastWritten = new Promise<void>((resolve) => {
      ok = this.#send(value, () => resolve());
    });
    return ok;
  }

  drained(): Promise<void> {
    return this.#lastWritten;
  }

  onMessage(handler: (value: unknown) => void): void {
    this.#inbox.set(handler);
  }

  async close(): Promise<void> {
    await this.#lastWritten;
  }
}

/** A factory per serialization. */
export function childIpc(serialization: 'json' | 'advanced'): LinkFactory {
  return {
    payloadKind: serialization === 'json' ? 'string' : 'bytes',

    async parent(spec: CaseSpec, child: ChildCommand): Promise<ParentEnd> {
      const side = spawnSide(child, { stdio: ['ignore', 2, 2, 'ipc'], serialization });
      const proc = side.proc;
      const link = new IpcLink((m, cb) => proc.send(m as never, cb), proc, spec.size);
      return {
        link,
        sameProcess: false,
        otherDone: side.exited,
        async close() {
          await link.close();
          if (proc.connected) proc.disconnect();
        },
      };
    },

    async child(spec: CaseSpec): Promise<Link> {
      if (!process.send) throw new Error('ipc child started without an IPC channel');
      const send = process.send.bind(process) as SendFn;
      const link = new IpcLink(send, process, spec.size);
      const close = link.close.bind(link);
      link.close = async () => {
        await close();
        process.disconnect?.();
      };
      return link;
    },
  };
}
