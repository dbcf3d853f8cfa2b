#!/usr/bin/env node
// The unibus CLI; the build (npm install runs it through `prepare`) puts the code in dist/.
import '../dist/src/cli/main.js';
