import { isIP } from 'node:net';
import type { Executor } from '../core/ports/executor';
import type { PodRoutes } from '../core/ports/pod-routes';

interface ShownRoute {
  readonly gateway?: string;
  readonly dev?: string;
}

/**
 * Pod routes through `nsenter --net=<CNI_NETNS> ip ...`, run by the executor: the multus process
 * itself never enters the pod's namespace (a thread pool may run other work there).
 */
export class NsenterPodRoutes implements PodRoutes {
  constructor(private readonly executor: Executor) {}

  /**
   * Lists the family's default routes first: none means nothing to flush (and `ip route flush`
   * fails on a namespace whose table is still empty); exactly the wanted one means nothing to do.
   */
  async setDefaultRoute(netns: string, ifname: string, gateway: string): Promise<void> {
    const family = isIP(gateway) === 6 ? '-6' : '-4';
    const all = family === '-6' ? '::/0' : '0.0.0.0/0';
    const inPod = (args: string[]): Promise<string> =>
      this.executor.runTool('nsenter', [`--net=${netns}`, '--', 'ip', family, ...args]);
    const shown = (await inPod(['-j', 'route', 'show', 'exact', all])).trim();
    const existing = (shown === '' ? [] : JSON.parse(shown)) as ShownRoute[];
    const [only] = existing;
    if (existing.length === 1 && only?.gateway === gateway && only.dev === ifname) return;
    if (existing.length > 0) await inPod(['route', 'flush', 'exact', all]);
    await inPod(['route', 'add', 'default', 'via', gateway, 'dev', ifname]);
  }
}
