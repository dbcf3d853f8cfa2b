import { transportSuite } from 'unibus/transport-kit';
import '../../examples/custom-transport/register.js';
import { abstractFixture } from '../../examples/custom-transport/fixture.js';

await transportSuite(abstractFixture);
