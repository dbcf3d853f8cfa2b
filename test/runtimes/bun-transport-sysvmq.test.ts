import { transportSuiteUnder } from './support.js';

transportSuiteUnder('bun', 'sysvmq');
