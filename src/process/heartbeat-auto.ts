/**
 * Preloaded into supervised Node children (`NODE_OPTIONS=--import=<this file>`, which the
 * supervisor sets for children whose command is a Node binary unless `autoHeartbeat` is false),
 * so any Node program heartbeats while its event loop turns, without changing its code. A program
 * that calls `heartbeat()` itself gets this same heartbeat back.
 * @module
 */
import { heartbeat } from './heartbeat.js';

heartbeat();
