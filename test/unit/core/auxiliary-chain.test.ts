import { auxiliaryChain, withAuxiliaryChain } from '../../../src/core/auxiliary-chain';
import { CniError } from '../../../src/core/errors';
import { assignInterfaceNames, selectMaster } from '../../../src/core/naming';
import type { Attachment } from '../../../src/core/plan';

const dir = '/etc/cni/net.d/vendor-cni-chain';
const master: Attachment = {
  network: 'cluster',
  conf: { cniVersion: '0.4.0', name: 'cluster', type: 'bridge' },
  master: true,
  origin: 'clusterNetwork (/etc/cni/net.d/10-cluster.conf)',
};

function thrown(fn: () => unknown): CniError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CniError) return err;
    throw err;
  }
  throw new Error('expected a CniError');
}

describe('auxiliaryChain: the chain directory as one attachment', () => {
  test('a .conf is one plugin, a .conflist its plugins; one conflist named after the chain, master cniVersion', () => {
    const chain = auxiliaryChain(
      'vendor-cni-chain',
      dir,
      [
        { path: `${dir}/10-tuning.conf`, conf: { cniVersion: '1.0.0', name: 'x', type: 'tuning' } },
        {
          path: `${dir}/20-more.conflist`,
          conf: { name: 'y', plugins: [{ type: 'portmap' }, { type: 'bandwidth' }] },
        },
        { path: `${dir}/30-sbr.json`, conf: { type: 'sbr' } },
      ],
      master,
    );
    expect(chain).toEqual({
      network: 'vendor-cni-chain',
      conf: {
        cniVersion: '0.4.0',
        name: 'vendor-cni-chain',
        plugins: [
          { cniVersion: '1.0.0', name: 'x', type: 'tuning' },
          { type: 'portmap' },
          { type: 'bandwidth' },
          { type: 'sbr' },
        ],
      },
      master: false,
      origin: `auxiliaryCNIChainName "vendor-cni-chain" (${dir})`,
      auxiliary: true,
      pluginOrigins: [
        `auxiliaryCNIChainName (${dir}/10-tuning.conf)`,
        `auxiliaryCNIChainName (${dir}/20-more.conflist).plugins[0]`,
        `auxiliaryCNIChainName (${dir}/20-more.conflist).plugins[1]`,
        `auxiliaryCNIChainName (${dir}/30-sbr.json)`,
      ],
    });
  });

  test('no files: no chain (Go Multus adds nothing); a master without cniVersion gives none either', () => {
    expect(auxiliaryChain('c', dir, [], master)).toBeUndefined();
    const bare = { ...master, conf: { type: 'bridge' } };
    const chain = auxiliaryChain('c', dir, [{ path: `${dir}/a.conf`, conf: { type: 'tuning' } }], bare);
    expect(chain?.conf).toEqual({ name: 'c', plugins: [{ type: 'tuning' }] });
  });

  test.each([
    [
      { path: `${dir}/a.conf`, conf: { name: 'n' } },
      `auxiliaryCNIChainName (${dir}/a.conf).type: must be a non-empty string`,
    ],
    [
      { path: `${dir}/a.conf`, conf: { plugins: [{ type: 'tuning' }] } },
      'a .conf or .json file holds one plugin; a list belongs in a .conflist',
    ],
    [{ path: `${dir}/b.conflist`, conf: { plugins: [] } }, `(${dir}/b.conflist).plugins: must be a non-empty list`],
    [{ path: `${dir}/b.conflist`, conf: { type: 'tuning' } }, `(${dir}/b.conflist).plugins: must be a non-empty list`],
    [
      { path: `${dir}/b.conflist`, conf: { plugins: [{ type: 'tuning' }, 3] } },
      `(${dir}/b.conflist).plugins[1]: must be a JSON object`,
    ],
    [
      { path: `${dir}/b.conflist`, conf: { plugins: [{ type: '' }] } },
      `(${dir}/b.conflist).plugins[0].type: must be a non-empty string`,
    ],
    [{ path: `${dir}/p.conf`, conf: { type: 'passthru' } }, `(${dir}/p.conf).type: "passthru" is not needed`],
  ])('code 7 naming the file and JSON path: %j', (file, message) => {
    const err = thrown(() => auxiliaryChain('c', dir, [file], master));
    expect(err.code).toBe(7);
    expect(err.msg).toContain(message);
  });
});

describe('the chain in the plan', () => {
  const other: Attachment = {
    network: 'extra',
    conf: { type: 'ptp' },
    master: false,
    origin: 'annotation networks[0]',
  };
  const chain = auxiliaryChain('c', dir, [{ path: `${dir}/a.conf`, conf: { type: 'tuning' } }], master) as Attachment;

  test('withAuxiliaryChain puts it right after the master, or leaves the plan alone without one', () => {
    expect(withAuxiliaryChain([master, other], chain)).toEqual([master, chain, other]);
    expect(withAuxiliaryChain([other, { ...master }], chain)).toEqual([other, master, chain]);
    expect(withAuxiliaryChain([master, other], undefined)).toEqual([master, other]);
  });

  test("it takes the pod's CNI_IFNAME beside the master, no net<N>, and trips no duplicate check", () => {
    const plan = [master, chain, other];
    expect(assignInterfaceNames(plan, selectMaster(plan), 'eth0', 0)).toEqual(['eth0', 'eth0', 'net0']);
    expect(assignInterfaceNames(plan, selectMaster(plan), 'eth0', 1)).toEqual(['eth0', 'eth0', 'net1']);
  });

  test('an explicit name on it is ignored, and it is never the master by default', () => {
    const plan = [{ ...chain, ifname: 'net0' }, { ...other }];
    expect(selectMaster(plan)).toBe(1);
    expect(assignInterfaceNames(plan, 1, 'eth0', 0)).toEqual(['eth0', 'eth0']);
  });
});
