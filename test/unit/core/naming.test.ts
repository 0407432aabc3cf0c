import { assignInterfaceNames, selectMaster } from '../../../src/core/naming';
import type { Attachment } from '../../../src/core/plan';

function att(origin: string, master = false, ifname?: string): Attachment {
  return ifname === undefined
    ? { network: origin, conf: { type: 'x' }, master, origin }
    : { network: origin, conf: { type: 'x' }, master, origin, ifname };
}

describe('selectMaster', () => {
  test.each([
    [[att('a'), att('b')], 0],
    [[att('a'), att('b', true)], 1],
    [[att('a', true)], 0],
  ])('case %#', (list, expected) => {
    expect(selectMaster(list)).toBe(expected);
  });

  test('two marked is code 7 naming both', () => {
    expect(() => selectMaster([att('delegates[0]', true), att('delegates[1]'), att('delegates[2]', true)])).toThrow(
      expect.objectContaining({ code: 7, msg: expect.stringContaining('delegates[0], delegates[2]') }),
    );
  });
});

describe('assignInterfaceNames', () => {
  test.each([
    ['seed: master first', [att('a', true), att('b'), att('c')], 0, 0, ['eth0', 'net0', 'net1']],
    ['master last', [att('a'), att('b'), att('c', true)], 2, 0, ['net0', 'net1', 'eth0']],
    ['Go Multus v3+ numbering', [att('a', true), att('b'), att('c')], 0, 1, ['eth0', 'net1', 'net2']],
    [
      'explicit name kept, auto skips it',
      [att('a', true), att('b', false, 'net0'), att('c')],
      0,
      0,
      ['eth0', 'net0', 'net1'],
    ],
    [
      'explicit name for a later one',
      [att('a', true), att('b'), att('c', false, 'sriov1')],
      0,
      0,
      ['eth0', 'net0', 'sriov1'],
    ],
  ])('%s', (_name, list, master, from, expected) => {
    expect(assignInterfaceNames(list, master, 'eth0', from)).toEqual(expected);
  });

  test('a pod ifname of net0 does not collide with the auto names', () => {
    expect(assignInterfaceNames([att('a', true), att('b')], 0, 'net0', 0)).toEqual(['net0', 'net1']);
  });

  test('two attachments asking for one name is code 7 naming both', () => {
    expect(() =>
      assignInterfaceNames([att('x', true), att('y', false, 'foo'), att('z', false, 'foo')], 0, 'eth0', 0),
    ).toThrow(expect.objectContaining({ code: 7, msg: 'y and z both want interface "foo" in the pod' }));
  });

  test.each([['this-name-is-too-long'], ['a:b'], ['a b']])('invalid explicit name %j is code 7', (name) => {
    expect(() => assignInterfaceNames([att('x', true), att('y', false, name)], 0, 'eth0', 0)).toThrow(
      expect.objectContaining({ code: 7, msg: expect.stringContaining('y: interface name') }),
    );
  });
});
