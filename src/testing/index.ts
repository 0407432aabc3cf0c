/**
 * The test-support entry: the fakes this project's own tests use, for vendors testing their
 * adapters and for anyone testing multus behaviour without processes, files or a cluster.
 * `testContainer()` is the production container with the executor, cache, lock, clock and
 * logger swapped; rebind any other token on it.
 */
export {
  defaultScript,
  FakeExecutor,
  FakeFileProbe,
  FakePluginVersions,
  FixedClock,
  MemoryCache,
  MemoryLock,
  RecordingLogger,
  type LogLine,
  type RecordedCall,
  type Script,
} from './fakes';
export { testContainer, type TestContainer } from './test-container';
