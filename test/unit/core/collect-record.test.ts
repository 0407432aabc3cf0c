import { collectRecord } from '../../../src/core/collect-record';
import type { NetworkRequest } from '../../../src/core/plan';
import type { AdapterRegistry } from '../../../src/core/adapter-registry';
import type { CacheEntry } from '../../../src/core/ports/result-cache';
import { parseMultusConfig } from '../../../src/core/config/multus-config';
import { TOKENS } from '../../../src/core/tokens';
import { runPlugin } from '../../support/run-plugin';
import { testContainer } from '../../support/test-container';

const config = {
  name: 'multus',
  type: 'multus',
  cniVersion: '1.0.0',
  cniDir: '/cache',
  delegates: [{ type: 'bridge', name: 'br' }],
};

describe('collectRecord', () => {
  test('reads the record again under the lock: one a DEL removed meanwhile is not deleted twice', async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config, containerId: 'c1' });
    const [listed] = (await t.cache.list('/cache')) as [CacheEntry];
    await runPlugin(t.container, { command: 'DEL', config, containerId: 'c1' });
    t.executor.calls.length = 0;
    const request = {
      env: {
        command: 'DEL',
        containerId: '',
        netns: '',
        ifname: '',
        args: { pairs: [], get: () => undefined },
        path: [],
      },
      config: parseMultusConfig(config),
    } as NetworkRequest;
    const ports = { cache: t.cache, lock: t.lock, probe: t.probe };
    const adapters = t.container.get<AdapterRegistry>(TOKENS.AdapterRegistry);
    await expect(collectRecord(ports, request, adapters, listed, t.logger, 'GC')).resolves.toBe(false);
    expect(t.executor.calls).toEqual([]);
    expect(t.lock.events.slice(-2)).toEqual(['acquire c1-eth0', 'release c1-eth0']);
  });

  test("the delegates' CNI_PATH is the one the record's ADD had; a record without one gets the caller's", async () => {
    const t = testContainer();
    await runPlugin(t.container, { command: 'ADD', config, containerId: 'c2', path: '/usr/lib/cni:/opt/extra' });
    const [listed] = (await t.cache.list('/cache')) as [CacheEntry];
    expect(listed.cniPath).toBe('/usr/lib/cni:/opt/extra');
    const request = (path: string[]): NetworkRequest => ({
      env: { command: 'DEL', containerId: '', netns: '', ifname: '', args: { pairs: [], get: () => undefined }, path },
      config: parseMultusConfig(config),
    });
    const ports = { cache: t.cache, lock: t.lock, probe: t.probe };
    const adapters = t.container.get<AdapterRegistry>(TOKENS.AdapterRegistry);
    t.executor.calls.length = 0;
    await collectRecord(ports, request(['/opt/cni/bin']), adapters, listed, t.logger, 'reconcile');
    expect(t.executor.calls.map((c) => c.env.CNI_PATH)).toEqual(['/usr/lib/cni:/opt/extra']);

    const { cniPath: _path, ...older } = listed;
    await t.cache.save({ dir: '/cache', containerId: 'c2', ifname: 'eth0' }, older);
    t.executor.calls.length = 0;
    await collectRecord(ports, request(['/opt/cni/bin']), adapters, older, t.logger, 'reconcile');
    expect(t.executor.calls.map((c) => c.env.CNI_PATH)).toEqual(['/opt/cni/bin']);
  });
});
