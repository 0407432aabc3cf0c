import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCli } from '../../../src/cli/cli-main';
import type { Explanation } from '../../../src/cli/explain/explain-plan';
import { bufferIo, useCliRoot } from './cli-test-support';

const { root, pluginDir, write } = useCliRoot('multus-explain-aux-');

async function cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = bufferIo();
  const code = await runCli(args, io);
  return { code, out: io.stdout(), err: io.stderr() };
}

/** A clusterNetwork file, a chain dir beside it (a .conf and a .conflist), and the multus config naming both. */
function setUp(chainFiles: Record<string, unknown>): { file: string; cluster: string; bin: string } {
  const bin = pluginDir('bin', ['ptp', 'host-local', 'tuning', 'portmap']);
  const cluster = write('10-cluster.conf', {
    cniVersion: '1.0.0',
    name: 'cluster',
    type: 'ptp',
    ipam: { type: 'host-local', subnet: '10.216.9.0/24' },
  });
  mkdirSync(join(root(), 'vendor-cni-chain'));
  for (const [name, conf] of Object.entries(chainFiles)) write(join('vendor-cni-chain', name), conf);
  const file = write('00-multus.conf', {
    name: 'multus-cni-network',
    type: 'multus',
    cniVersion: '1.0.0',
    kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
    clusterNetwork: cluster,
    auxiliaryCNIChainName: 'vendor-cni-chain',
  });
  return { file, cluster, bin };
}

const chain = {
  '10-tuning.conf': { type: 'tuning', sysctl: { 'net.ipv4.conf.eth0.arp_ignore': '1' } },
  '20-pm.conflist': { plugins: [{ type: 'portmap', capabilities: { portMappings: true } }] },
};

test('explain shows the chain after the master: on eth0, its directory, each plugin with its file', async () => {
  const { file, bin } = setUp(chain);
  const dir = join(root(), 'vendor-cni-chain');
  const json = await cli('explain', file, '--cni-path', bin, '--pod', 'ns1/web', '--json');
  const e = JSON.parse(json.out) as Explanation;
  expect(e.attachments.map((a) => [a.index, a.network, a.ifname, a.master, a.auxiliary])).toEqual([
    [0, 'cluster', 'eth0', true, false],
    [1, 'vendor-cni-chain', 'eth0', false, true],
  ]);
  const a = e.attachments[1];
  expect(a?.origin).toBe(`auxiliaryCNIChainName "vendor-cni-chain" (${dir})`);
  expect(a?.plugins.map((p) => [p.type, p.origin, p.prevResult, p.binary.path])).toEqual([
    ['tuning', `auxiliaryCNIChainName (${dir}/10-tuning.conf)`, true, join(bin, 'tuning')],
    ['portmap', `auxiliaryCNIChainName (${dir}/20-pm.conflist).plugins[0]`, true, join(bin, 'portmap')],
  ]);
  expect(a?.plugins[0]?.stdin).toMatchObject({ name: 'vendor-cni-chain', cniVersion: '1.0.0', type: 'tuning' });
  const text = await cli('explain', file, '--cni-path', bin, '--pod', 'ns1/web');
  expect(text.code).toBe(0);
  expect(text.out).toContain('\nattachment 1: network "vendor-cni-chain" → eth0 (auxiliary CNI chain)\n');
  expect(text.out).toContain(`  from:  auxiliaryCNIChainName "vendor-cni-chain" (${dir})\n`);
  expect(text.out).toContain('    stdin (and "prevResult": the master\'s result):\n');
  expect(text.out).toContain('    stdin (and "prevResult": the result of plugin 1):\n');
});

test('validate reports a passthru plugin of the chain, naming its file', async () => {
  const { file, bin } = setUp({ ...chain, '05-pass.conf': { type: 'passthru' } });
  const dir = join(root(), 'vendor-cni-chain');
  const r = await cli('validate', file, '--cni-path', bin);
  expect(r.code).toBe(1);
  expect(r.out + r.err).toContain(`auxiliaryCNIChainName (${dir}/05-pass.conf).type: "passthru" is not needed`);
});
