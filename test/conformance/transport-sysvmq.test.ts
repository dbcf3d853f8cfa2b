import { fixtureFor } from './fixtures/index.js';
import { transportSuite } from './transport.suite.js';

transportSuite(await fixtureFor('sysvmq'));
