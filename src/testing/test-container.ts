import type { Container } from 'inversify';
import { buildContainer } from '../container';
import { TOKENS } from '../core/tokens';
import { FakeExecutor, FixedClock, MemoryCache, MemoryLock, RecordingLogger } from './fakes';

export interface TestContainer {
  readonly container: Container;
  readonly executor: FakeExecutor;
  readonly cache: MemoryCache;
  readonly logger: RecordingLogger;
  readonly lock: MemoryLock;
}

/** The production container with executor, cache, clock and logger swapped for fakes. */
export function testContainer(executor = new FakeExecutor()): TestContainer {
  const container = buildContainer();
  const cache = new MemoryCache();
  const logger = new RecordingLogger();
  const lock = new MemoryLock();
  container.rebind(TOKENS.Executor).toConstantValue(executor);
  container.rebind(TOKENS.ResultCache).toConstantValue(cache);
  container.rebind(TOKENS.Clock).toConstantValue(new FixedClock());
  container.rebind(TOKENS.ContainerLock).toConstantValue(lock);
  container.rebind(TOKENS.LoggerFactory).toConstantValue(logger);
  return { container, executor, cache, logger, lock };
}
