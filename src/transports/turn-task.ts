/**
 * A task that runs at most once per scheduling, however often it is asked for meanwhile: how a
 * connection flushes once per event-loop turn and polls its medium once per turn
 * (`BaseConnection.scheduleFlush` / `scheduleRead`).
 * @module
 */
export class TurnTask {
  #scheduled = false;
  readonly #run: () => void;
  readonly #runScheduled = (): void => this.runNow();

  constructor(run: () => void) {
    this.#run = run;
  }

  /** True while a run is scheduled and has not happened. */
  get scheduled(): boolean {
    return this.#scheduled;
  }

  /** Runs the task at the end of this turn (`process.nextTick`), once. */
  atTurnEnd(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    process.nextTick(this.#runScheduled);
  }

  /** Runs the task on a later turn (`setImmediate`: pending I/O goes first), once. */
  nextTurn(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(this.#runScheduled);
  }

  /** Runs the task now; a run still scheduled happens too, and finds what came after. */
  runNow(): void {
    this.#scheduled = false;
    this.#run();
  }
}
