/**
 * Jest runs TypeScript through @swc/jest (legacy decorators, no emitted metadata: like the Bun-compiled binary).
 * inversify 8 and execa 9 ship ESM only, so node_modules are compiled too
 * (transformIgnorePatterns: []); unicorn-magic exports only `import`, hence the mapper.
 */
/** @type {import('jest').Config} */
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: false },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];

module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test', '<rootDir>/plugins'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.(t|j|mj|cj)s$': swc },
  transformIgnorePatterns: [],
  moduleNameMapper: {
    '^unicorn-magic$': '<rootDir>/node_modules/unicorn-magic/node.js',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  // Generous: a busy machine makes real netns work slow; a hang still fails, only later.
  testTimeout: 180000,
  maxWorkers: 2,
};
