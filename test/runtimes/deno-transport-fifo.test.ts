import { transportSuiteUnder } from './support.js';

transportSuiteUnder('deno', 'fifo');
