import 'reflect-metadata';
import { parseCniEnv } from '../../../src/core/cni-env';
import { parseMultusConfig } from '../../../src/core/config/multus-config';
import { FileSource } from '../../../src/sources/file-source';

const env = parseCniEnv(
  new Map([
    ['CNI_COMMAND', 'ADD'],
    ['CNI_CONTAINERID', 'c'],
    ['CNI_NETNS', '/n'],
    ['CNI_IFNAME', 'eth0'],
    ['CNI_PATH', '/p'],
  ]),
);

test("one attachment per delegate, in order, named by the delegate's name or the config's", async () => {
  const config = parseMultusConfig({
    name: 'multus-net',
    type: 'multus',
    delegates: [
      { type: 'ptp', ipam: {} },
      { name: 'br', type: 'bridge', masterplugin: true },
    ],
  });
  const source = new FileSource();
  expect(source.supports({ env, config })).toBe(true);
  expect((await source.resolve({ env, config })).attachments).toEqual([
    { network: 'multus-net', conf: { type: 'ptp', ipam: {} }, master: false, origin: 'delegates[0]' },
    { network: 'br', conf: { name: 'br', type: 'bridge' }, master: true, origin: 'delegates[1]' },
  ]);
});
