export * from '../../src/testing/test-container';
