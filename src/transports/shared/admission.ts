/**
 * What a listener says when it could not admit one client (the `AdmissionReporter` capability of
 * ../capabilities.ts): a typed error naming the URL, the client and the cause, and a reporter that
 * passes at most one report a second on (a flood of bad announcements, or a hub out of file
 * descriptors refusing every arrival, must not become a flood of events), counting the rest.
 * @module
 */
import { LimitError, UnibusError } from '../../errors.js';

/** Causes that are the hub running out of something, not the client doing something wrong. */
const EXHAUSTED: Readonly<Record<string, string>> = {
  EMFILE: 'open files of the hub process (RLIMIT_NOFILE)',
  ENFILE: 'open files of the system (fs.file-max)',
  ENOMEM: 'memory',
  ENOSPC: 'space for kernel objects (/dev/shm, msgmni)',
};

/**
 * The error for a client of `url` (`who`: its id or pid) that could not be admitted:
 * `LimitError` when the hub ran out of a resource, the cause's own code when it is a unibus error
 * (e.g. `ERR_UNIBUS_PERMISSION` for another user's client), else a protocol error.
 * @example
 * ```ts
 * reports.report(admissionError('shm://orders', 'client c1f2', err));
 * ```
 */
export function admissionError(url: string, who: string, cause: unknown): UnibusError {
  const code = (cause as { code?: unknown } | null)?.code;
  const text = cause instanceof Error ? cause.message : String(cause);
  const limit = typeof code === 'string' ? EXHAUSTED[code] : undefined;
  if (limit) return new LimitError(limit, `${url} could not admit ${who}: ${text}`);
  // A typed refusal (another user's client, a planted object) keeps its code.
  if (cause instanceof UnibusError) return new UnibusError(cause.code, `${url} refused ${who}: ${text}`, { cause });
  return new UnibusError('ERR_UNIBUS_PROTOCOL', `Protocol error: ${url} could not admit ${who}: ${text}`, { cause });
}

/**
 * Hands admission failures to the hub's bus, at most one a second: the first at once, the last of
 * those that came within the second after it when that second ends, saying how many it stands for.
 */
export class AdmissionReports {
  #report: ((err: Error) => void) | undefined;
  #lastAt = -Infinity;
  #latest: UnibusError | undefined;
  #held = 0;
  #timer: NodeJS.Timeout | undefined;

  /** The `onAdmissionError` of a listener: sets who hears the reports. */
  listen(report: (err: Error) => void): void {
    this.#report = report;
  }

  /**
   * The client `who` of `url` was not admitted because of `cause`: its error (`admissionError`),
   * reported unless the cause says the client's own objects are gone (ENOENT: it left or was
   * killed before the hub opened them; nothing of the hub's to say, and a client crash loop must
   * not fill the hub's events).
   */
  refuse(url: string, who: string, cause: unknown): UnibusError {
    const err = admissionError(url, who, cause);
    if ((cause as { code?: unknown } | null)?.code !== 'ENOENT') this.report(err);
    return err;
  }

  /** Reports `err` now, or at the end of the second that began with the last report. */
  report(err: UnibusError): void {
    const since = performance.now() - this.#lastAt;
    if (since >= 1000 && !this.#timer) {
      this.#emit(err);
      return;
    }
    this.#latest = err;
    this.#held++;
    this.#timer ??= setTimeout(() => this.#flush(), Math.max(0, 1000 - since)).unref();
  }

  #flush(): void {
    this.#timer = undefined;
    const err = this.#latest;
    if (!err) return;
    if (this.#held > 1) err.message += ` (the last of ${this.#held} admission failures in one second)`;
    this.#latest = undefined;
    this.#held = 0;
    this.#emit(err);
  }

  #emit(err: UnibusError): void {
    this.#lastAt = performance.now();
    this.#report?.(err);
  }
}
