import type { Container } from 'inversify';
import { buildContainer } from '../container';
import { TOKENS } from '../core/tokens';
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

/**
 * The production container with executor, cache, clock, lock, logger, plugin VERSION answers
 * and file probe swapped for fakes (every plugin speaks every version unless `versions` says).
 */
export function testContainer(executor = new FakeExecutor(), versions = new FakePluginVersions()): TestContainer {
  const container = buildContainer();
  const cache = new MemoryCache();
  const logger = new RecordingLogger();
  const lock = new MemoryLock();
  const probe = new FakeFileProbe();
  container.rebind(TOKENS.Executor).toConstantValue(executor);
  container.rebind(TOKENS.ResultCache).toConstantValue(cache);
  container.rebind(TOKENS.Clock).toConstantValue(new FixedClock());
  container.rebind(TOKENS.ContainerLock).toConstantValue(lock);
  container.rebind(TOKENS.LoggerFactory).toConstantValue(logger);
  container.rebind(TOKENS.PluginVersions).toConstantValue(versions);
  container.rebind(TOKENS.FileProbe).toConstantValue(probe);
  return { container, executor, cache, logger, lock, versions, probe };
}
