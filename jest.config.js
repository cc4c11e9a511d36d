/** Jest: swc transpiles (tsc type-checks separately in `npm test`); one real Temporal + Postgres per run. */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['@swc/jest'] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  globalSetup: '<rootDir>/test/helpers/global-setup.ts',
  globalTeardown: '<rootDir>/test/helpers/global-teardown.ts',
  setupFiles: ['<rootDir>/test/helpers/quiet-sdk.ts'],
  testTimeout: 180000,
  maxWorkers: 2,
  testSequencer: '<rootDir>/test/helpers/sequencer.js',
};
