// ESLint flat config: typescript-eslint's type-aware recommended rules on src/, test/ and plugins/
// (types come from tsconfig.json through the project service); eslint-config-prettier last, so
// formatting is Prettier's alone (`npm run lint` runs both).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.test-tmp/', 'src/generated/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // A leading underscore marks a parameter or a destructured field as deliberately unused (an interface
      // method's argument, a field dropped from a copy with a rest pattern).
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrorsIgnorePattern: '^_',
        },
      ],
      // Passing on a caught error as it is (a `catch (err)` variable is `unknown`) is allowed, as
      // only-throw-error allows it for `throw`.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    // Tests only: jest's asymmetric matchers (expect.any, expect.stringContaining, expect.objectContaining, ...)
    // are typed `any` by @types/jest, so every `toEqual({ msg: expect.stringContaining(...) })` would be an
    // "unsafe" assignment or argument. src/ keeps both rules.
    files: ['test/**/*.ts', 'plugins/*/test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // Test doubles (src/testing/, test/): a fake conforms to an async interface with an async method that has
    // nothing to await; dropping `async` would turn its throws into synchronous ones, unlike the real thing.
    files: ['src/testing/**/*.ts', 'test/**/*.ts', 'plugins/*/test/**/*.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  {
    // Build, bench and report scripts (scripts/*.mjs), jest.config.js and the test plugins
    // (test/plugins/*.js) are plain Node JavaScript outside tsconfig.json: linted with the
    // recommended rules, without type information.
    files: ['**/*.mjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
  {
    // Lines of at most 120 columns (issue 11), strings and comments included: Prettier wraps code
    // at 120 but leaves long strings and comments alone. After eslint-config-prettier, which turns
    // max-len off.
    files: ['src/**/*.ts', 'test/**/*.ts', 'plugins/**/*.ts'],
    rules: { 'max-len': ['error', { code: 120, tabWidth: 2 }] },
  },
);
