import { FieldReader } from '../../../../src/core/result/field-reader';
import { copyListResult, listResultJson, readListResult } from '../../../../src/core/result/result-list';

const readers = {
  readInterface: (value: unknown, path: string): string => `${path}=${JSON.stringify(value)}`,
  readIp: (value: unknown, path: string, interfaceCount: number): string => `${path}/${interfaceCount}`,
  extendedRoutes: false,
};

describe('readListResult', () => {
  test('reads each item through the version, routes and dns itself, empty lists omitted', () => {
    const o = {
      interfaces: [{ name: 'eth0' }, { name: 'net1' }],
      ips: [{}],
      routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1', mtu: 1400 }],
      dns: {},
    };
    expect(readListResult(o, '0.4.0', new FieldReader('d'), readers)).toStrictEqual({
      cniVersion: '0.4.0',
      interfaces: ['result.interfaces[0]={"name":"eth0"}', 'result.interfaces[1]={"name":"net1"}'],
      ips: ['result.ips[0]/2'],
      routes: [{ dst: '0.0.0.0/0', gw: '10.0.0.1' }],
    });
    expect(readListResult({ interfaces: [], ips: [] }, '1.0.0', new FieldReader('d'), readers)).toStrictEqual({
      cniVersion: '1.0.0',
    });
  });
});

describe('listResultJson and copyListResult', () => {
  const data = {
    cniVersion: '1.1.0',
    interfaces: ['a'],
    ips: [1, 2],
    routes: [{ dst: '10.0.0.0/8', mtu: 1400 }],
    dns: { nameservers: ['1.1.1.1'] },
  };

  test('JSON keeps the spec key order and writes 1.1.0 route attributes only when extended', () => {
    const writers = { interfaceJson: (i: string) => ({ i }), ipJson: (n: number) => ({ n }) };
    const json = listResultJson(data, { ...writers, extendedRoutes: true });
    expect(Object.keys(json)).toEqual(['cniVersion', 'interfaces', 'ips', 'routes', 'dns']);
    expect(json['routes']).toEqual([{ dst: '10.0.0.0/8', mtu: 1400 }]);
    expect(listResultJson(data, { ...writers, extendedRoutes: false })['routes']).toEqual([{ dst: '10.0.0.0/8' }]);
  });

  test('a copy is relabelled, maps every item and shares no array with its source', () => {
    const copy = copyListResult(data, '0.4.0', {
      mapInterface: (i: string) => i.toUpperCase(),
      mapIp: (n: number) => n * 10,
      mapRoute: (route) => ({ dst: route.dst }),
    });
    expect(copy).toStrictEqual({
      cniVersion: '0.4.0',
      interfaces: ['A'],
      ips: [10, 20],
      routes: [{ dst: '10.0.0.0/8' }],
      dns: { nameservers: ['1.1.1.1'] },
    });
    expect(copy.dns?.nameservers).not.toBe(data.dns.nameservers);
  });
});
