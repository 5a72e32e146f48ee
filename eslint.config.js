// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * The Raft core must stay deterministic and I/O-free (DESIGN.md section 3): time is ticks,
 * randomness is injected, nothing touches the host. These rules make that mechanical.
 */
const pureCoreRules = {
  'no-restricted-imports': [
    'error',
    {
      patterns: [
        { group: ['node:*'], message: 'src/raft is I/O-free: no node: modules.' },
        {
          group: [
            'fs',
            'path',
            'os',
            'net',
            'crypto',
            'events',
            'timers',
            'child_process',
            'worker_threads',
          ],
          message: 'src/raft is I/O-free: no Node built-ins.',
        },
        { group: ['../*'], message: 'src/raft depends on nothing outside itself.' },
      ],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'Date', message: 'Time in the core is ticks.' },
    { name: 'setTimeout', message: 'Time in the core is ticks.' },
    { name: 'setInterval', message: 'Time in the core is ticks.' },
    { name: 'setImmediate', message: 'Time in the core is ticks.' },
    { name: 'queueMicrotask', message: 'The core is synchronous.' },
    { name: 'Promise', message: 'The core is synchronous.' },
    { name: 'performance', message: 'Time in the core is ticks.' },
    { name: 'process', message: 'src/raft is I/O-free.' },
    { name: 'crypto', message: 'Randomness is injected.' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'Randomness is injected and seeded.' },
  ],
  'no-restricted-syntax': [
    'error',
    { selector: 'FunctionDeclaration[async=true]', message: 'The core is synchronous.' },
    { selector: 'FunctionExpression[async=true]', message: 'The core is synchronous.' },
    { selector: 'ArrowFunctionExpression[async=true]', message: 'The core is synchronous.' },
    { selector: 'AwaitExpression', message: 'The core is synchronous.' },
  ],
};

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'data/**',
      'deploy/**',
      'coverage/**',
      // Written by `npm run proto:gen` from proto/redraft/v1.
      'src/gateway/grpc/generated/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['*.js', 'scripts/*.mjs', 'test/compat/*.mjs'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': [
        'error',
        { allowNumber: true, allowBoolean: true },
      ],
      '@typescript-eslint/no-unnecessary-condition': [
        'error',
        { allowConstantLoopConditions: true },
      ],
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `(w) => w.ok()` as a reply emitter reads better than a braced body.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/no-invalid-void-type': 'off',
      '@typescript-eslint/unified-signatures': 'off',
      // node:test's describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', name: ['describe', 'it', 'test', 'suite'], package: 'node:test' },
          ],
        },
      ],
    },
  },
  { files: ['src/raft/**/*.ts'], rules: pureCoreRules },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { globals: { process: 'readonly', console: 'readonly' } },
  },
);
