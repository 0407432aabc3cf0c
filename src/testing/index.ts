/**
 * The test-support entry: the fakes this project's own tests use, for vendors testing their
 * adapters and for anyone testing multus behaviour without processes, files or a cluster.
 * `testContainer()` is the production container with the executor, cache, lock, clock and
 * logger replaced; its options replace any other token and register more adapters.
 */
export * from './fakes';
export { testContainer, type TestContainer, type TestContainerOptions } from './test-container';
