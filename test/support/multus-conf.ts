/** A host-local IPAM block, as most delegates of the unit fixtures have. */
export function hostLocal(subnet: string): { type: 'host-local'; subnet: string } {
  return { type: 'host-local', subnet };
}

/** The flat multus config the orchestration tests share: its name, cniVersion and cache dir. */
export interface MultusConfFixture<D extends readonly object[]> {
  readonly name: 'multus-net';
  readonly type: 'multus';
  readonly cniVersion: string;
  readonly cniDir: '/cache';
  readonly delegates: D;
}

/** `multus-net`, cniVersion 1.0.0 unless given, its cache in /cache, and the given delegates. */
export function multusConf<const D extends readonly object[]>(
  delegates: D,
  cniVersion = '1.0.0',
): MultusConfFixture<D> {
  return { name: 'multus-net', type: 'multus', cniVersion, cniDir: '/cache', delegates };
}
