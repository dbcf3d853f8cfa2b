import { busSuiteUnder } from './support.js';

busSuiteUnder('deno', 'memory');
