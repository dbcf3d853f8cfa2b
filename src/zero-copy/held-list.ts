/**
 * The samples a receiver holds, as a list threaded through the samples themselves: adding and
 * removing one allocates nothing (a Set of them cost a hash entry per sample, added and deleted
 * within microseconds, and grew and shrank its table with the load). Walked only by the slow
 * paths: the maxHold sweep, a disconnect, close.
 * @module
 */

/** What the list threads through (fields of the listed object; touch only through HeldList). */
export interface Linked<T> {
  listPrev: T | undefined;
  listNext: T | undefined;
  listed: boolean;
}

export class HeldList<T extends Linked<T>> {
  #head: T | undefined;
  #size = 0;

  get size(): number {
    return this.#size;
  }

  add(x: T): void {
    if (x.listed) return;
    x.listed = true;
    x.listPrev = undefined;
    x.listNext = this.#head;
    if (this.#head) this.#head.listPrev = x;
    this.#head = x;
    this.#size++;
  }

  delete(x: T): void {
    if (!x.listed) return;
    x.listed = false;
    if (x.listPrev) x.listPrev.listNext = x.listNext;
    else this.#head = x.listNext;
    if (x.listNext) x.listNext.listPrev = x.listPrev;
    x.listPrev = x.listNext = undefined;
    this.#size--;
  }

  /** The members now, as an array (callers may remove members while they walk it). */
  toArray(): T[] {
    const out: T[] = [];
    for (let x = this.#head; x; x = x.listNext) out.push(x);
    return out;
  }
}
