/** Watchdogs for single waits inside a test: shipped with the transport kit's conformance suites. */
export * from '../../src/transport-kit/conformance/watchdog.js';
