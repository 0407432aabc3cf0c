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

/** The daemon as the trimming sees it: calls served and in flight; every collection counted. */
function daemon() {
  const state = { served: 0, inFlight: 0, collections: 0 };
  const options = {
    collect: () => {
      state.collections += 1;
    },
    served: () => state.served,
    inFlight: () => state.inFlight,
    everyMs: 250,
    quietTicks: 4,
    burstTicks: 8,
  };
  return { state, options };
}

test('collects once the daemon is quiet after serving calls, never while idle since the last collection', () => {
  const clock = handClock();
  const { state, options } = daemon();
  const stop = startHeapTrim({ ...options, ...clock });
  for (let i = 0; i < 10; i += 1) clock.tick();
  expect(state.collections).toBe(0); // idle since start
  state.served += 3;
  clock.tick(); // the ticks that see a call served are not quiet ones
  for (let i = 0; i < 3; i += 1) clock.tick();
  expect(state.collections).toBe(0); // 3 quiet ticks: not yet
  clock.tick();
  expect(state.collections).toBe(1); // the 4th
  for (let i = 0; i < 10; i += 1) clock.tick();
  expect(state.collections).toBe(1); // nothing served since
  stop();
  expect(clock.stopped()).toBe(true);
});

test('a call in flight is not quiet: no collection lands in the middle of it', () => {
  const clock = handClock();
  const { state, options } = daemon();
  startHeapTrim({ ...options, ...clock });
  state.served += 1;
  state.inFlight = 1; // a slow ADD that started after it
  for (let i = 0; i < 20; i += 1) clock.tick();
  expect(state.collections).toBe(0);
  state.inFlight = 0;
  state.served += 1;
  for (let i = 0; i < 5; i += 1) clock.tick();
  expect(state.collections).toBe(1);
});

test('a burst that never goes quiet is collected every burstTicks ticks that served calls', () => {
  const clock = handClock();
  const { state, options } = daemon();
  startHeapTrim({ ...options, ...clock });
  const busyTicks = (n: number): void => {
    for (let i = 0; i < n; i += 1) {
      state.served += 1;
      state.inFlight = 8;
      clock.tick();
    }
  };
  busyTicks(7);
  expect(state.collections).toBe(0);
  busyTicks(1);
  expect(state.collections).toBe(1);
  busyTicks(7);
  state.inFlight = 1; // one slow call: it served nothing, the burst does not move on
  for (let i = 0; i < 20; i += 1) clock.tick();
  expect(state.collections).toBe(1);
  busyTicks(1);
  expect(state.collections).toBe(2);
});

test('a runtime without a full collection (node under jest): nothing is scheduled', () => {
  const clock = handClock();
  const { options } = daemon();
  const stop = startHeapTrim({ ...options, collect: undefined, ...clock });
  stop();
  expect(clock.stopped()).toBe(false);
});
