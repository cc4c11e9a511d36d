#!/usr/bin/env node
// The `drops` CLI runs the TypeScript sources through tsx: there is no build step to forget.
require('tsx/cjs');
require('../src/cli/main.ts');
