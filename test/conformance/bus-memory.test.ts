import { fixtureFor } from './fixtures/index.js';
import { busSuite } from '../../src/transport-kit/index.js';

await busSuite(await fixtureFor('memory'));
