import { ExecAdapter } from '../../../src/adapters/exec-adapter';
import { registerAdapter } from '../../../src/core/adapter-registry';
import { CniCode, CniError } from '../../../src/core/errors';
import type { DelegateConf } from '../../../src/core/plan';
import type { VerifyContext } from '../../../src/core/ports/delegate-adapter';
import type { Executor } from '../../../src/core/ports/executor';
import { hostLocal, multusConf } from '../../support/multus-conf';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

/** A vendor adapter whose host check fails for configs with `"present": false`, and records each check. */
class CheckingAdapter extends ExecAdapter {
  constructor(
    executor: Executor,
    private readonly seen: string[],
  ) {
    super(executor, { name: 'checking', priority: 20, types: ['vendor'] });
  }

  override verify(conf: DelegateConf, context: VerifyContext): Promise<void> {
    this.seen.push(`${context.origin} ${context.network} ${context.netns} [${context.madeEarlier.join(',')}]`);
    if (conf['present'] === false)
      return Promise.reject(
        new CniError(CniCode.InvalidConfig, `device ${String(conf['device'])} is not on this host`),
      );
    return Promise.resolve();
  }
}

const config = (present: boolean): object =>
  multusConf([
    { type: 'bridge', name: 'br', ipam: hostLocal('10.10.0.0/24') },
    { type: 'vendor', name: 'v1', device: 'a' },
    { type: 'vendor', name: 'v2', device: 'b', present },
  ]);

describe('adapter verify', () => {
  test(
    'runs for every delegate before the first one, told the links earlier delegates make; a failing last delegate ' +
      'creates nothing',
    async () => {
      const seen: string[] = [];
      const t = testContainer(undefined, undefined, {
        register: (c) => registerAdapter(c, (e) => new CheckingAdapter(e, seen), 'test'),
      });
      const run = await runPlugin(t.container, { command: 'ADD', config: config(false) });
      // The bridge before them creates its bridge (cni0 by default): they are told it may not exist yet.
      expect(seen).toEqual([
        'delegates[1] v1 /var/run/netns/test [cni0]',
        'delegates[2] v2 /var/run/netns/test [cni0]',
      ]);
      expect(run.json).toMatchObject({
        code: 7,
        msg: 'network "v2" (delegates[2], type "vendor"): device b is not on this host',
      });
      expect(t.executor.calls).toEqual([]);
      expect(t.cache.history).toEqual([]);
    },
  );

  test('passing checks: the delegates run as usual; DEL does not verify', async () => {
    const seen: string[] = [];
    const t = testContainer(undefined, undefined, {
      register: (c) => registerAdapter(c, (e) => new CheckingAdapter(e, seen), 'test'),
    });
    expect((await runPlugin(t.container, { command: 'ADD', config: config(true) })).code).toBe(0);
    expect(t.executor.sequence()).toEqual(['ADD bridge eth0', 'ADD vendor net0', 'ADD vendor net1']);
    seen.length = 0;
    expect((await runPlugin(t.container, { command: 'DEL', config: config(false) })).code).toBe(0);
    expect(seen).toEqual([]);
  });
});
