import 'reflect-metadata';
import { parseMultusConfig } from '../../../src/core/config/multus-config';
import { expandPlugins, runtimeConfigForMaster, withRuntimeRequests } from '../../../src/core/delegate-conf';

const config = parseMultusConfig({ name: 'multus', type: 'multus', cniVersion: '1.0.0', delegates: [{ type: 'x' }] });

describe('expandPlugins', () => {
  test('a single config inherits cniVersion and name, and says the version was not its own', () => {
    expect(expandPlugins({ type: 'bridge' }, config, 'd[0]')).toEqual([
      { conf: { type: 'bridge', cniVersion: '1.0.0', name: 'multus' }, origin: 'd[0]', explicitVersion: false },
    ]);
    expect(expandPlugins({ type: 'bridge', cniVersion: '0.3.1' }, config, 'd[0]')[0]?.explicitVersion).toBe(true);
  });

  test("a conflist's plugins take the list's name and version", () => {
    const list = {
      cniVersion: '0.4.0',
      name: 'chain',
      plugins: [{ type: 'bridge' }, { type: 'tuning', name: 'ignored' }],
    };
    expect(
      expandPlugins(list, config, 'nad').map((p) => [
        p.origin,
        p.conf['name'],
        p.conf['cniVersion'],
        p.conf['type'],
        p.explicitVersion,
      ]),
    ).toEqual([
      ['nad.plugins[0]', 'chain', '0.4.0', 'bridge', true],
      ['nad.plugins[1]', 'chain', '0.4.0', 'tuning', true],
    ]);
  });

  test.each([
    [{ plugins: [] }, 7, 'nad.plugins: must be a non-empty list'],
    [{ plugins: [1] }, 7, 'nad.plugins[0]: must be a JSON object'],
    [{ type: 'x', cniVersion: '9.9.9' }, 1, 'nad.cniVersion: "9.9.9" is not a CNI version'],
  ])('%j is refused', (conf, code, fragment) => {
    expect(() => expandPlugins(conf, config, 'nad')).toThrow(
      expect.objectContaining({ code, msg: expect.stringContaining(fragment) }),
    );
  });
});

describe('withRuntimeRequests', () => {
  const requests = { ips: ['10.1.1.1/24'], mac: '02:00:00:00:00:01', portMappings: [] };

  test('only the capabilities the plugin declares are passed, merged into its runtimeConfig', () => {
    const conf = { type: 'macvlan', capabilities: { ips: true, mac: false }, runtimeConfig: { other: 1 } };
    expect(withRuntimeRequests(conf, requests, undefined)).toEqual({
      ...conf,
      runtimeConfig: { other: 1, ips: ['10.1.1.1/24'] },
    });
  });

  test('no capabilities: nothing added; cni-args go to args.cni', () => {
    expect(withRuntimeRequests({ type: 'x', args: { cni: { a: 1 } } }, requests, { b: 2 })).toEqual({
      type: 'x',
      args: { cni: { a: 1, b: 2 } },
    });
  });
});

test("the runtime's own runtimeConfig goes to the master, without the pod annotations", () => {
  const c = parseMultusConfig({
    type: 'multus',
    delegates: [{ type: 'x' }],
    runtimeConfig: { portMappings: [1], 'io.kubernetes.cri.pod-annotations': {} },
  });
  expect(runtimeConfigForMaster(c)).toEqual({ portMappings: [1] });
  expect(runtimeConfigForMaster(config)).toBeUndefined();
});

test('runtimeConfig keys in Go field case (containerd) still match capabilities and the annotations key', () => {
  const conf = { type: 'portmap', capabilities: { portMappings: true } };
  const mappings = [{ HostPort: 8080, ContainerPort: 80, Protocol: 'tcp' }];
  expect(withRuntimeRequests(conf, { PortMappings: mappings }, undefined)).toEqual({
    ...conf,
    runtimeConfig: { PortMappings: mappings },
  });
  const c = parseMultusConfig({
    type: 'multus',
    delegates: [{ type: 'x' }],
    runtimeConfig: { portMappings: mappings, 'IO.Kubernetes.CRI.Pod-Annotations': {} },
  });
  expect(runtimeConfigForMaster(c)).toEqual({ portMappings: mappings });
});
