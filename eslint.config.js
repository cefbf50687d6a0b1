// Lint: typescript-eslint's recommended rules, and the layering of src/ (README "Development"):
// core/ is pure (no node: module with side effects, no io/, cli/ or commands/), io/ never reaches
// into cli/ or commands/, client/ stands alone so an updater can embed it.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

const sideEffects = [
  'fs',
  'fs/promises',
  'child_process',
  'worker_threads',
  'net',
  'http',
  'https',
  'os',
  'process',
  'dgram',
  'cluster',
  'readline',
];
const nodeBans = sideEffects.flatMap((m) => [`node:${m}`, m]);

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', '.bench/**', 'fixtures/**', 'test/corpus/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextDecoder: 'readonly',
        TextEncoder: 'readonly',
        fetch: 'readonly',
        Response: 'readonly',
        performance: 'readonly',
        queueMicrotask: 'readonly',
        structuredClone: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
      'no-empty': ['error', { allowEmptyCatch: false }],
      'prefer-const': ['error', { destructuring: 'all' }],
    },
  },
  {
    // Tests read JSON documents whose shape is what they assert.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBans.map((name) => ({ name, message: 'core/ is pure: read and write in io/, pass the facts in' })),
          patterns: [
            { group: ['**/io/*', '**/cli/*', '**/commands/*', '**/workflow/*'], message: 'core/ imports only core/ and the client' },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'core/ is pure: pass the environment in' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'core/ never reads the clock: pass `now` in' }],
    },
  },
  {
    files: ['src/io/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/cli/*', '**/commands/*', '**/workflow/*'],
              message: 'io/ reads and writes; it never imports the CLI, the commands or the workflow',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/client/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['**/io/*', '**/cli/*', '**/commands/*', '**/core/*', '**/workflow/*', '../errors.js'],
              message: 'the client stands alone: an updater embeds it without the CLI',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['src/workflow/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: ['**/cli/main*', '**/commands/*'], message: 'the channel workflow is called by commands, never the reverse' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/commands/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [{ group: ['./*', '../commands/*'], message: 'a command never calls another command file: compose in src/workflow/' }],
        },
      ],
    },
  },
);
