import { CniCode, CniError } from '../../../src/core/errors';
import type { ExecRequest } from '../../../src/core/ports/executor';
import { MeteringExecutor, type ExecOutcome } from '../../../src/daemon/metering-executor';
import { FakeExecutor, defaultScript } from '../../../src/testing/fakes';

function request(type: string, command: ExecRequest['command']): ExecRequest {
  return {
    type,
    command,
    env: {
      CNI_CONTAINERID: 'c1',
      CNI_NETNS: '/run/netns/x',
      CNI_IFNAME: 'net1',
      CNI_ARGS: '',
      CNI_PATH: '/opt/cni/bin',
    },
    stdin: { cniVersion: '1.0.0', name: 'n', type },
    binDirs: ['/opt/cni/bin'],
  };
}

/** A metering executor over a scripted fake, and what it reported (labels only: times are never asserted). */
function metered(script: (req: ExecRequest) => unknown = defaultScript): {
  executor: MeteringExecutor;
  inner: FakeExecutor;
  seen: Omit<ExecOutcome, 'seconds'>[];
  seconds: number[];
} {
  const inner = new FakeExecutor(script);
  const seen: Omit<ExecOutcome, 'seconds'>[] = [];
  const seconds: number[] = [];
  const executor = new MeteringExecutor(inner, {
    execFinished: ({ seconds: s, ...labels }) => {
      seen.push(labels);
      seconds.push(s);
    },
  });
  return { executor, inner, seen, seconds };
}

describe('MeteringExecutor', () => {
  it('reports every delegate run by type and command, and answers what the wrapped executor answered', async () => {
    const { executor, inner, seen, seconds } = metered();
    const result = await executor.run(request('bridge', 'ADD'));
    expect(result).toEqual(defaultScript(request('bridge', 'ADD')));
    await executor.run(request('bridge', 'ADD'));
    await executor.run(request('ptp', 'DEL'));
    await executor.run(request('ptp', 'VERSION'));
    expect(seen).toEqual([
      { type: 'bridge', command: 'ADD', code: 0 },
      { type: 'bridge', command: 'ADD', code: 0 },
      { type: 'ptp', command: 'DEL', code: 0 },
      { type: 'ptp', command: 'VERSION', code: 0 },
    ]);
    expect(seconds.every((s) => s >= 0)).toBe(true);
    expect(inner.sequence()).toEqual(['ADD bridge net1', 'ADD bridge net1', 'DEL ptp net1', 'VERSION ptp net1']);
  });

  it("reports a failed run with its CniError's code and rethrows the very same error", async () => {
    const error = new CniError(CniCode.TryAgainLater, 'busy');
    const { executor, seen } = metered(() => {
      throw error;
    });
    await expect(executor.run(request('macvlan', 'ADD'))).rejects.toBe(error);
    expect(seen).toEqual([{ type: 'macvlan', command: 'ADD', code: CniCode.TryAgainLater }]);
  });

  it('reports a failure that is not a CniError without a code, and rethrows it', async () => {
    const error = new Error('broken');
    const { executor, seen } = metered(() => Promise.reject(error));
    await expect(executor.run(request('bridge', 'CHECK'))).rejects.toBe(error);
    expect(seen).toEqual([{ type: 'bridge', command: 'CHECK', code: undefined }]);
  });

  it('passes host tools through to the wrapped executor, uncounted', async () => {
    const { executor, inner, seen } = metered();
    expect(await executor.runTool('ip', ['-n', 'pod', 'route'])).toBe('');
    expect(inner.tools).toEqual(['ip -n pod route']);
    expect(seen).toEqual([]);
  });
});
