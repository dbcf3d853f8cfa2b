/**
 * How to start a JavaScript file in the runtime running this test (Node, Deno or Bun), so a
 * suite run under Deno starts its peers under Deno too.
 */
const deno = 'Deno' in globalThis;

/** `[command, args]` that runs `file` with `args` in this process's runtime. */
export function jsCommand(file: string, args: readonly string[] = []): [string, string[]] {
  return [process.execPath, deno ? ['run', '-A', file, ...args] : [file, ...args]];
}
