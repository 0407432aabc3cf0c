import { NsenterPodRoutes } from '../../../src/adapters/nsenter-pod-routes';
import { FakeExecutor } from '../../support/fakes';

/** A FakeExecutor whose `ip ... route show` prints `shown`. */
function withRoutes(shown: string): FakeExecutor {
  const executor = new FakeExecutor();
  const runTool = executor.runTool.bind(executor);
  executor.runTool = async (file, args) => {
    await runTool(file, args);
    return args.includes('show') ? shown : '';
  };
  return executor;
}

test.each([
  ['10.1.1.1', '-4', '0.0.0.0/0'],
  ['fd00::1', '-6', '::/0'],
])('default route via %s: list, flush that family, then add it through nsenter', async (gateway, family, all) => {
  const executor = withRoutes('[{"dst":"default","gateway":"10.9.9.9","dev":"net0"}]');
  await new NsenterPodRoutes(executor).setDefaultRoute('/var/run/netns/p', 'net1', gateway);
  expect(executor.tools).toEqual([
    `nsenter --net=/var/run/netns/p -- ip ${family} -j route show exact ${all}`,
    `nsenter --net=/var/run/netns/p -- ip ${family} route flush exact ${all}`,
    `nsenter --net=/var/run/netns/p -- ip ${family} route add default via ${gateway} dev net1`,
  ]);
});

test('no default route yet (an empty table, which `ip route flush` refuses): only the add', async () => {
  const executor = withRoutes('[]');
  await new NsenterPodRoutes(executor).setDefaultRoute('/var/run/netns/p', 'eth0', '10.1.1.1');
  expect(executor.tools).toEqual([
    'nsenter --net=/var/run/netns/p -- ip -4 -j route show exact 0.0.0.0/0',
    'nsenter --net=/var/run/netns/p -- ip -4 route add default via 10.1.1.1 dev eth0',
  ]);
});

test('already the only default route: nothing changes', async () => {
  const executor = withRoutes('[{"dst":"default","gateway":"10.1.1.1","dev":"eth0","flags":[]}]');
  await new NsenterPodRoutes(executor).setDefaultRoute('/var/run/netns/p', 'eth0', '10.1.1.1');
  expect(executor.tools).toEqual(['nsenter --net=/var/run/netns/p -- ip -4 -j route show exact 0.0.0.0/0']);
});
