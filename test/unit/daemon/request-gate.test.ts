import { GateFull, RequestGate } from '../../../src/daemon/request-gate';

/** Lets every settled promise's callbacks run. */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Enters the gate and records when the slot was granted. */
function enter(gate: RequestGate, log: string[], name: string): Promise<() => void> {
  return gate.enter().then((leave) => {
    log.push(name);
    return leave;
  });
}

describe('RequestGate', () => {
  test('up to `limit` calls run at once; the next ones wait', async () => {
    const gate = new RequestGate(2, 10);
    const log: string[] = [];
    const a = enter(gate, log, 'a');
    const b = enter(gate, log, 'b');
    void enter(gate, log, 'c');
    await settle();
    expect(log).toEqual(['a', 'b']);
    expect([gate.inFlight, gate.queued]).toEqual([2, 1]);
    (await a)();
    (await b)();
  });

  test('waiting calls get a slot first come, first served, one per slot freed', async () => {
    const gate = new RequestGate(1, 10);
    const log: string[] = [];
    const first = await enter(gate, log, 'first');
    const waiting = ['w1', 'w2', 'w3'].map((n) => enter(gate, log, n));
    await settle();
    expect(log).toEqual(['first']);

    first();
    await settle();
    expect(log).toEqual(['first', 'w1']);
    (await waiting[0])?.();
    await settle();
    expect(log).toEqual(['first', 'w1', 'w2']);
    (await waiting[1])?.();
    (await waiting[2])?.();
    expect([gate.inFlight, gate.queued]).toEqual([0, 0]);
  });

  test('a freed slot passes straight to the next caller: the running count never drops between them', async () => {
    const gate = new RequestGate(1, 1);
    const leave = await gate.enter();
    const next = gate.enter();
    await settle();
    leave();
    expect([gate.inFlight, gate.queued]).toEqual([1, 0]);
    // A newcomer now queues behind the handed-off slot rather than taking it.
    const late = gate.enter();
    await settle();
    expect([gate.inFlight, gate.queued]).toEqual([1, 1]);
    (await next)();
    (await late)();
    expect([gate.inFlight, gate.queued]).toEqual([0, 0]);
  });

  test('a full queue refuses at once with GateFull (backpressure), and frees nothing', async () => {
    const gate = new RequestGate(1, 2);
    const running = await gate.enter();
    const queued = [gate.enter(), gate.enter()];
    await expect(gate.enter()).rejects.toBeInstanceOf(GateFull);
    expect([gate.inFlight, gate.queued]).toEqual([1, 2]);
    running();
    for (const q of queued) (await q)();
    expect([gate.inFlight, gate.queued]).toEqual([0, 0]);
  });

  test('a queue of 0: any call beyond the limit is refused', async () => {
    const gate = new RequestGate(1, 0);
    const leave = await gate.enter();
    await expect(gate.enter()).rejects.toBeInstanceOf(GateFull);
    leave();
    (await gate.enter())();
  });

  test('freeing a slot twice frees it once', async () => {
    const gate = new RequestGate(2, 0);
    const a = await gate.enter();
    const b = await gate.enter();
    a();
    a();
    expect(gate.inFlight).toBe(1);
    const c = await gate.enter();
    await expect(gate.enter()).rejects.toBeInstanceOf(GateFull);
    b();
    c();
    expect(gate.inFlight).toBe(0);
  });
});
