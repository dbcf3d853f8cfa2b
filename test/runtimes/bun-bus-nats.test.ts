import { busSuiteUnder } from './support.js';

busSuiteUnder('bun', 'nats');
