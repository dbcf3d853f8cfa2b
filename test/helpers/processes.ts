/** Real child processes for tests: shipped with the transport kit's conformance suites. */
export * from '../../src/transport-kit/conformance/processes.js';
