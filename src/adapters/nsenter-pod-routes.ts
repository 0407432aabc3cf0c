import { isIP } from 'node:net';
import type { Executor } from '../core/ports/executor';
import type { PodRoutes } from '../core/ports/pod-routes';

/**
 * Pod routes through `nsenter --net=<CNI_NETNS> ip ...`, run by the executor: the multus process
 * itself never enters the pod's namespace (a thread pool may run other work there).
 */
export class NsenterPodRoutes implements PodRoutes {
  constructor(private readonly executor: Executor) {}

  async setDefaultRoute(netns: string, ifname: string, gateway: string): Promise<void> {
    const family = isIP(gateway) === 6 ? '-6' : '-4';
    const all = family === '-6' ? '::/0' : '0.0.0.0/0';
    const inPod = (args: string[]): Promise<string> => this.executor.runTool('nsenter', [`--net=${netns}`, '--', 'ip', family, ...args]);
    await inPod(['route', 'flush', 'exact', all]);
    await inPod(['route', 'add', 'default', 'via', gateway, 'dev', ifname]);
  }
}
