import { busSuiteUnder } from './support.js';

busSuiteUnder('deno', 'nats');
