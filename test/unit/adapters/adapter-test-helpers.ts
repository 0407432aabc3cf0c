import type { AdapterRegistry } from '../../../src/core/adapter-registry';
import type { CniError } from '../../../src/core/errors';
import type { DelegateAdapter, DelegateInvocation } from '../../../src/core/ports/delegate-adapter';
import type { ExecRequest, Executor } from '../../../src/core/ports/executor';
import { thrownCniError } from '../../support/cni-error';

/** An Executor that records each request and answers from a script (one reply per call, in order). */
export class ScriptedExecutor implements Executor {
  readonly requests: ExecRequest[] = [];
  private readonly replies: Array<unknown>;

  constructor(replies: unknown[] = []) {
    this.replies = [...replies];
  }

  run(request: ExecRequest): Promise<unknown> {
    this.requests.push(request);
    const reply = this.replies.shift();
    return reply instanceof Error ? Promise.reject(reply) : Promise.resolve(reply);
  }

  runTool(): Promise<string> {
    return Promise.reject(new Error('ScriptedExecutor runs no host tools'));
  }

  hostLink(): Promise<undefined> {
    return Promise.reject(new Error('ScriptedExecutor looks at no host links'));
  }
}

export const ENV = {
  CNI_CONTAINERID: 'c1',
  CNI_NETNS: '/run/netns/t1',
  CNI_IFNAME: 'net1',
  CNI_ARGS: 'IgnoreUnknown=true;K8S_POD_NAME=p',
  CNI_PATH: '/opt/cni/bin',
} as const;

export function invocation(conf: Record<string, unknown>, extra: Partial<DelegateInvocation> = {}): DelegateInvocation {
  return { conf, env: ENV, binDirs: ['/opt/cni/bin'], ...extra };
}

export const CTX = { network: 'net-a', origin: 'delegates[2]' } as const;

/** The CniError `prepare` throws, or fails the test when it throws nothing (or something else). */
export function prepareError(adapter: DelegateAdapter, conf: Record<string, unknown>): CniError {
  return thrownCniError(() => adapter.prepare(conf, CTX), `prepare to reject ${JSON.stringify(conf)}`);
}

/** A table case: a config, and the message fragments its error must contain (or [] when valid). */
export type Case = readonly [label: string, conf: Record<string, unknown>, fragments: readonly string[]];

/** Runs a table of good and bad configs against an adapter; bad ones must be code 7 with every fragment. */
export function runCases(make: () => DelegateAdapter, cases: readonly Case[]): void {
  test.each(cases)('%s', (_label, conf, fragments) => {
    const adapter = make();
    if (fragments.length === 0) {
      expect(adapter.prepare(conf, CTX)).toBe(conf);
      return;
    }
    const err = prepareError(adapter, conf);
    expect(err.code).toBe(7);
    for (const fragment of fragments) expect(err.msg).toContain(fragment);
  });
}

/** The table of `cases`, then the claim: adapter `name` at priority 10 takes its own type and not `other`. */
export function runAdapterSuite(
  make: () => DelegateAdapter,
  cases: readonly Case[],
  claim: { name: string; other: string; title?: string },
): void {
  runCases(make, cases);
  test(claim.title ?? `claims only ${claim.name} configs`, () => {
    const adapter = make();
    expect([adapter.name, adapter.priority]).toEqual([claim.name, 10]);
    expect(adapter.supports({ type: claim.name })).toBe(true);
    expect(adapter.supports({ type: claim.other })).toBe(false);
  });
}

/**
 * What a container with the built-ins and the build-time macvlan example registers: the built-ins
 * first, in order, then macvlan, which names the module and the manifest entry it came from.
 */
export function expectBuiltinsThenMacvlan(registry: AdapterRegistry): void {
  expect(registry.list().map((a) => a.name)).toEqual([
    'exec',
    'bridge',
    'ptp',
    'flannel',
    'sriov',
    'vhostuser',
    'macvlan',
  ]);
  const macvlan = registry.pick({ type: 'macvlan' }, 'delegates[0]');
  expect(registry.originOf(macvlan)).toBe('build-time ./plugins/macvlan (multus-adapter-macvlan)');
}
