/**
 * The RxJS values unibus uses, imported from their own modules instead of the `rxjs` index.
 *
 * Why: on Node, `import … from 'rxjs'` loads the package's CommonJS index, which requires every
 * operator and scheduler (223 files, +1.46 MB of V8 old generation); these three modules and their
 * few dependencies cost about a third of that. The size matters beyond memory. V8 (Node 20) does
 * no incremental marking while the old generation is under 8 MiB, and a process a little above
 * that which allocates a fresh buffer per received message (a subscriber keeps its payload, so it
 * must be fresh) runs one mark-compact after another: measured with `unix://` at 64 KiB, a hub
 * receiving spent ~100 µs of CPU per message, two thirds of it in the garbage collector, against
 * ~30 µs with `--no-incremental-marking` or with this import. A raw socket program with 5 MB of
 * extra live objects showed the same (92 µs against 40 µs). Importing the index loaded the
 * hub and its clients past that mark; this keeps them under it.
 *
 * They are the very modules the index re-exports (same files, same classes): an Observable or
 * Subject from here is one from `rxjs`, and `rxjs`'s exports map makes `./internal/*` public.
 * Types can still come from `rxjs` (`import type` loads nothing).
 *
 * @example
 * ```ts
 * import { Subject } from '../rx.js';   // not: import { Subject } from 'rxjs';
 * const events = new Subject<number>();
 * ```
 * @module
 */
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export { merge } from 'rxjs/internal/observable/merge';
