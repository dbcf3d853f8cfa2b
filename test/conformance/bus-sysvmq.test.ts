import { fixtureFor } from './fixtures/index.js';
import { busSuite } from './bus.suite.js';

busSuite(await fixtureFor('sysvmq'));
