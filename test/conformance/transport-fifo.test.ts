import { fixtureFor } from './fixtures/index.js';
import { transportSuite } from '../../src/transport-kit/index.js';

await transportSuite(await fixtureFor('fifo'));
