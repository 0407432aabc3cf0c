import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { kubernetesSettings } from '../../../../src/core/config/kubernetes-settings';
import { CniError } from '../../../../src/core/errors';
import type { Attachment } from '../../../../src/core/plan';
import { loadAuxiliaryChain } from '../../../../src/sources/kube/auxiliary-chain-loader';
import { FileConfDir } from '../../../../src/sources/kube/conf-dir';

const master: Attachment = {
  network: 'cluster',
  conf: { cniVersion: '1.0.0', type: 'ptp' },
  master: true,
  origin: 'x',
};
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'aux-loader-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

function settings(chain: string | undefined = 'chain'): ReturnType<typeof kubernetesSettings> {
  return kubernetesSettings({ clusterNetwork: join(root, '10-cluster.conf'), auxiliaryCNIChainName: chain });
}

async function write(name: string, text: string): Promise<void> {
  await mkdir(join(root, 'chain'), { recursive: true });
  await writeFile(join(root, 'chain', name), text);
}

test('the files beside clusterNetwork, .conf, .json and .conflist in name order; other files ignored', async () => {
  await write('20-b.conflist', JSON.stringify({ plugins: [{ type: 'portmap' }, { type: 'sbr' }] }));
  await write('10-a.conf', JSON.stringify({ type: 'tuning' }));
  await write('30-c.json', JSON.stringify({ type: 'bandwidth' }));
  await write('05-readme.txt', 'not a config');
  const chain = await loadAuxiliaryChain(new FileConfDir(), settings(), master);
  expect((chain?.conf['plugins'] as Array<{ type: string }>).map((p) => p.type)).toEqual([
    'tuning',
    'portmap',
    'sbr',
    'bandwidth',
  ]);
  expect(chain?.origin).toBe(`auxiliaryCNIChainName "chain" (${join(root, 'chain')})`);
});

test('a missing or empty directory, no chain name, or no master: no chain', async () => {
  const dir = new FileConfDir();
  expect(await loadAuxiliaryChain(dir, settings(), master)).toBeUndefined();
  await mkdir(join(root, 'chain'));
  expect(await loadAuxiliaryChain(dir, settings(), master)).toBeUndefined();
  await write('10-a.conf', JSON.stringify({ type: 'tuning' }));
  expect(
    await loadAuxiliaryChain(dir, kubernetesSettings({ clusterNetwork: join(root, 'x.conf') }), master),
  ).toBeUndefined();
  expect(await loadAuxiliaryChain(dir, settings(), undefined)).toBeUndefined();
});

test('a file that is not JSON: code 7 naming the chain, its directory and the file', async () => {
  await write('10-a.conf', '{"type": "tuning"');
  const err = (await loadAuxiliaryChain(new FileConfDir(), settings(), master).catch((e: unknown) => e)) as CniError;
  expect(err).toBeInstanceOf(CniError);
  expect(err.code).toBe(7);
  expect(err.msg).toContain(`auxiliary CNI chain "chain" (auxiliaryCNIChainName, directory ${join(root, 'chain')}): `);
  expect(err.msg).toContain(`CNI config file ${join(root, 'chain', '10-a.conf')} is not valid JSON`);
});
