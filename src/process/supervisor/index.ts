/** The process supervisor: see `supervisor.ts` for the guarantees and docs/supervisor.md. */
export { Supervisor, type ChildState } from './supervisor.js';
export { resolveOptions, type ResolvedChild, type ResolvedOptions } from './options.js';
export { HEARTBEAT_FD, PIPE_HEARTBEAT_FD, CHILD_NAME_ENV } from './child-run.js';
export type * from './types.js';
