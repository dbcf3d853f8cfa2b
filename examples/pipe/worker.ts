/**
 * pipe: example, a worker. `Bus.connect('pipe:')` finds the pipe ends its hub handed down (the
 * fds named in UNIBUS_PIPE_FDS), marks them close-on-exec and forgets the variable. It serves
 * `math.square` in the queue group `squarers` until the hub closes.
 */
import { Bus } from '../../src/index.js';

type Services = { 'math.square': { request: number; response: { square: number; by: number } } };

const bus = await Bus.connect<Record<string, never>, Services>('pipe:');
bus.serve('math.square', (n) => ({ square: n * n, by: process.pid }), { queue: 'squarers' });
// The hub's close is EOF on our read pipe: the bus ends and so does this process.
