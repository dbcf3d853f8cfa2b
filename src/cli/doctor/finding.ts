/** One result of `unibus doctor`: what was checked, how it stands, and how to fix it. */
export interface Finding {
  readonly level: 'ok' | 'warn' | 'fail';
  readonly what: string;
  /** What to do about a warn or fail (a command where there is one). */
  readonly fix?: string;
}

export const ok = (what: string): Finding => ({ level: 'ok', what });
export const warn = (what: string, fix: string): Finding => ({ level: 'warn', what, fix });
export const fail = (what: string, fix: string): Finding => ({ level: 'fail', what, fix });
