import { NsenterPodRoutes } from '../../../src/adapters/nsenter-pod-routes';
import { FakeExecutor } from '../../support/fakes';

test.each([
  ['10.1.1.1', '-4', '0.0.0.0/0'],
  ['fd00::1', '-6', '::/0'],
])('default route via %s: flush that family, then add it through nsenter', async (gateway, family, all) => {
  const executor = new FakeExecutor();
  await new NsenterPodRoutes(executor).setDefaultRoute('/var/run/netns/p', 'net1', gateway);
  expect(executor.tools).toEqual([
    `nsenter --net=/var/run/netns/p -- ip ${family} route flush exact ${all}`,
    `nsenter --net=/var/run/netns/p -- ip ${family} route add default via ${gateway} dev net1`,
  ]);
});
