import 'reflect-metadata';
import { FlannelAdapter } from '../../../src/adapters/flannel-adapter';
import { runCases, ScriptedExecutor, type Case } from './adapter-test-helpers';

const cases: readonly Case[] = [
  ['the minimal config', { type: 'flannel' }, []],
  [
    'paths and a delegate',
    {
      type: 'flannel',
      subnetFile: '/run/flannel/subnet.env',
      dataDir: '/var/lib/cni/flannel',
      delegate: { isDefaultGateway: true },
    },
    [],
  ],
  ['a delegate of another type', { type: 'flannel', delegate: { type: 'ipvlan', master: 'eth0' } }, []],
  [
    'the seed multus example',
    { type: 'flannel', name: 'flannel.1', masterplugin: true, delegate: { isDefaultGateway: true } },
    [],
  ],
  [
    'relative subnetFile',
    { type: 'flannel', subnetFile: 'run/flannel/subnet.env' },
    ['delegates[2].subnetFile: must be an absolute path, got "run/flannel/subnet.env"'],
  ],
  ['dataDir not a string', { type: 'flannel', dataDir: 5 }, ['delegates[2].dataDir: must be an absolute path, got 5']],
  [
    'delegate as a string',
    { type: 'flannel', delegate: 'bridge' },
    ['delegates[2].delegate: must be a JSON object, got "bridge"'],
  ],
  [
    'delegate as a list',
    { type: 'flannel', delegate: [{ type: 'bridge' }] },
    ['delegates[2].delegate: must be a JSON object'],
  ],
  [
    'delegate type empty',
    { type: 'flannel', delegate: { type: '' } },
    ['delegates[2].delegate.type: must be a non-empty string, got ""'],
  ],
  [
    'delegate type not a string',
    { type: 'flannel', delegate: { type: 7 } },
    ['delegates[2].delegate.type: must be a non-empty string, got 7'],
  ],
];

describe('FlannelAdapter', () => {
  runCases(() => new FlannelAdapter(new ScriptedExecutor()), cases);

  test('reports the delegate type problem once', () => {
    const adapter = new FlannelAdapter(new ScriptedExecutor());
    expect(() => adapter.prepare({ type: 'flannel', delegate: 'x' }, { network: 'n', origin: 'delegates[0]' })).toThrow(
      'network "n" (delegates[0], type "flannel"): delegates[0].delegate: must be a JSON object, got "x"',
    );
  });
});
