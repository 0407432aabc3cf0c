import { startHeapTrim } from '../../../src/daemon/heap-trim';

/** A clock the test ticks by hand. */
function handClock(): { every: (run: () => void, ms: number) => () => void; tick: () => void; stopped: () => boolean } {
  let job: (() => void) | undefined;
  let stopped = false;
  return {
    every: (run) => {
      job = run;
      return () => {
        stopped = true;
        job = undefined;
      };
    },
    tick: () => job?.(),
    stopped: () => stopped,
  };
}

test('collects once after calls were served, not while the daemon is idle; stops when told', () => {
  const clock = handClock();
  let served = 0;
  let collections = 0;
  const stop = startHeapTrim({ collect: () => (collections += 1), served: () => served, everyMs: 1000, ...clock });
  clock.tick();
  expect(collections).toBe(0); // idle since start
  served += 3;
  clock.tick();
  clock.tick();
  expect(collections).toBe(1); // one collection for the burst, none for the idle tick after it
  served += 1;
  clock.tick();
  expect(collections).toBe(2);
  stop();
  expect(clock.stopped()).toBe(true);
});

test('a runtime without a full collection (node under jest): nothing is scheduled', () => {
  const clock = handClock();
  const stop = startHeapTrim({ collect: undefined, served: () => 0, everyMs: 1000, ...clock });
  stop();
  expect(clock.stopped()).toBe(false);
});
