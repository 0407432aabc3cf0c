import type { Container } from 'inversify';
import { buildContainer, type Replacements } from '../container';
import {
  FakeExecutor,
  FakeFileProbe,
  FakePluginVersions,
  FixedClock,
  MemoryCache,
  MemoryLock,
  RecordingLogger,
} from './fakes';

export interface TestContainer {
  readonly container: Container;
  readonly executor: FakeExecutor;
  readonly cache: MemoryCache;
  readonly logger: RecordingLogger;
  readonly lock: MemoryLock;
  readonly versions: FakePluginVersions;
  readonly probe: FakeFileProbe;
}

export interface TestContainerOptions {
  /** More replacements (a fake Kubernetes client, a fixed source); they win over the fakes here. */
  readonly replace?: Replacements;
  /** Registers more adapters while the container is built (`registerAdapter(container, ...)`). */
  readonly register?: (container: Container) => void;
}

/**
 * The production container with executor, cache, clock, lock, logger, plugin VERSION answers
 * and file probe replaced by fakes (every plugin speaks every version unless `versions` says).
 * Like the production one, it is not changed after it is built.
 */
export function testContainer(
  executor = new FakeExecutor(),
  versions = new FakePluginVersions(),
  options: TestContainerOptions = {},
): TestContainer {
  const cache = new MemoryCache();
  const logger = new RecordingLogger();
  const lock = new MemoryLock();
  const probe = new FakeFileProbe();
  const container = buildContainer({
    replace: {
      Executor: executor,
      ResultCache: cache,
      Clock: new FixedClock(),
      ContainerLock: lock,
      LoggerFactory: logger,
      PluginVersions: versions,
      FileProbe: probe,
      ...options.replace,
    },
    ...(options.register === undefined ? {} : { register: options.register }),
  });
  return { container, executor, cache, logger, lock, versions, probe };
}
