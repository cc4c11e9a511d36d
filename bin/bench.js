#!/usr/bin/env node
// The benchmarks' own entry point (`npm run bench -- intake|draw|orders`): kept out of the `drops`
// CLI because they need devDependencies (autocannon) that a production install leaves out.
require('tsx/cjs');
require('../bench/main.ts');
