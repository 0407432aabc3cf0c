import 'reflect-metadata';
import { IsOptional } from 'class-validator';
import { ExecAdapter, GenericExecAdapter } from '../../../src/adapters/exec-adapter';
import { CniError } from '../../../src/core/errors';
import type { DelegateConf } from '../../../src/core/plan';
import type { AdapterContext } from '../../../src/core/ports/delegate-adapter';
import type { ConfigProblem } from '../../../src/core/validation';
import { IsAbsolutePath, IsCidr } from '../../../src/core/validators';
import { CTX, ENV, invocation, prepareError, ScriptedExecutor } from './adapter-test-helpers';

class VhostModel {
  @IsAbsolutePath()
  tool!: unknown;
}

class MacvlanModel {
  @IsOptional()
  @IsCidr()
  subnet?: unknown;
}

/** A vendor-style adapter: a model plus one extra rule through the protected hook. */
class MacvlanAdapter extends ExecAdapter {
  constructor(executor: ScriptedExecutor) {
    super(executor, { name: 'macvlan', priority: 20, types: ['macvlan', 'ipvlan'], model: MacvlanModel });
  }

  protected override validate(conf: DelegateConf, context: AdapterContext): ConfigProblem[] {
    const problems = super.validate(conf, context);
    if (conf['master'] === undefined) problems.push({ path: `${context.origin}.master`, message: 'is required' });
    return problems;
  }
}

const conf = { cniVersion: '0.3.1', name: 'net-a', type: 'macvlan', master: 'eth0' };

describe('ExecAdapter', () => {
  test('ADD sends the config on stdin with the env and bin dirs, and returns the raw result', async () => {
    const result = { cniVersion: '0.3.1', ips: [] };
    const executor = new ScriptedExecutor([result]);
    const signal = new AbortController().signal;
    const got = await new GenericExecAdapter(executor).add(invocation(conf, { signal }));
    expect(got).toBe(result);
    expect(executor.requests).toEqual([
      { type: 'macvlan', command: 'ADD', env: ENV, stdin: conf, binDirs: ['/opt/cni/bin'], signal },
    ]);
  });

  test('ADD without prevResult sends no prevResult key', async () => {
    const executor = new ScriptedExecutor([{}]);
    await new GenericExecAdapter(executor).add(invocation(conf));
    expect(Object.keys(executor.requests[0]?.stdin ?? {})).not.toContain('prevResult');
  });

  test.each(['del', 'check'] as const)(
    '%s adds prevResult to stdin and leaves the config untouched',
    async (method) => {
      const prevResult = { cniVersion: '0.4.0', interfaces: [{ name: 'net1' }] };
      const executor = new ScriptedExecutor([undefined]);
      const input = { ...conf, cniVersion: '0.4.0' };
      const adapter = new GenericExecAdapter(executor);
      await expect(adapter[method](invocation(input, { prevResult }))).resolves.toBeUndefined();
      const request = executor.requests[0];
      expect(request?.command).toBe(method.toUpperCase());
      expect(request?.stdin).toEqual({ ...input, prevResult });
      expect(request?.env).toBe(ENV);
      expect(input).not.toHaveProperty('prevResult');
    },
  );

  test('DEL ignores whatever the plugin printed', async () => {
    const executor = new ScriptedExecutor([{ unexpected: true }]);
    await expect(new GenericExecAdapter(executor).del(invocation(conf))).resolves.toBeUndefined();
  });

  test("the executor's CniError reaches the caller unchanged", async () => {
    const failure = new CniError(11, 'busy');
    const executor = new ScriptedExecutor([failure]);
    await expect(new GenericExecAdapter(executor).add(invocation(conf))).rejects.toBe(failure);
  });

  test('a non-string type becomes "" so the executor rejects it', async () => {
    const executor = new ScriptedExecutor([undefined]);
    await new GenericExecAdapter(executor).del(invocation({ type: 5 }));
    expect(executor.requests[0]?.type).toBe('');
  });

  test('the generic adapter supports every type at priority 0 and accepts any config', () => {
    const adapter = new GenericExecAdapter(new ScriptedExecutor());
    expect([adapter.name, adapter.priority]).toEqual(['exec', 0]);
    expect(adapter.supports({ type: 'anything' })).toBe(true);
    expect(adapter.supports({})).toBe(true);
    const odd = { type: 'x', mtu: 'weird' };
    expect(adapter.prepare(odd, CTX)).toBe(odd);
  });

  test('types limits what an adapter supports', () => {
    const adapter = new MacvlanAdapter(new ScriptedExecutor());
    expect(adapter.supports({ type: 'macvlan' })).toBe(true);
    expect(adapter.supports({ type: 'ipvlan' })).toBe(true);
    expect(adapter.supports({ type: 'bridge' })).toBe(false);
    expect(adapter.supports({ type: 7 })).toBe(false);
  });

  test('prepare returns the config itself, unknown fields and all', () => {
    const input = { ...conf, subnet: '10.0.0.0/8', vendorKey: { deep: [1] } };
    expect(new MacvlanAdapter(new ScriptedExecutor()).prepare(input, CTX)).toBe(input);
  });

  test('prepare reports model and extra problems in one code-7 error naming network, origin and type', () => {
    const err = prepareError(new MacvlanAdapter(new ScriptedExecutor()), { type: 'macvlan', subnet: 'nope' });
    expect(err.code).toBe(7);
    expect(err.msg).toBe(
      'network "net-a" (delegates[2], type "macvlan"): delegates[2].subnet: must be a CIDR such as 10.1.0.0/24, ' +
        'got "nope"; delegates[2].master: is required',
    );
    expect(err.details).toBe('2 problems');
  });

  test('the nested and ipam options add their problems after the model, in that order', () => {
    const adapter = new ExecAdapter(new ScriptedExecutor([]), {
      name: 'declarative',
      priority: 10,
      model: MacvlanModel,
      nested: { vhost: VhostModel },
      ipam: { required: true },
    });
    const err = prepareError(adapter, { type: 'x', subnet: 'nope', vhost: { tool: 'rel' } });
    expect(err.msg).toBe(
      'network "net-a" (delegates[2], type "x"): delegates[2].subnet: must be a CIDR such as 10.1.0.0/24, ' +
        'got "nope"; delegates[2].vhost.tool: must be an absolute path, got "rel"; ' +
        'delegates[2].ipam: is required: this plugin always runs its IPAM plugin',
    );
    const lenient = new ExecAdapter(new ScriptedExecutor([]), { name: 'l2', priority: 10, ipam: { allowEmpty: true } });
    const ok = { type: 'x', vhost: 'not an object', ipam: {} };
    expect(lenient.prepare(ok, CTX)).toBe(ok);
  });
});
