import { type ResultData, resultFromData, Result020, Result040, Result100 } from '../../../../src/core/result';

const W = 'multus';

describe('resultFromData', () => {
  test.each([
    [{ cniVersion: '0.2.0' }, Result020],
    [{ cniVersion: '0.3.0' }, Result040],
    [{ cniVersion: '1.1.0' }, Result100],
  ] as Array<[ResultData, unknown]>)('wraps %p in its family class', (data, cls) => {
    const result = resultFromData(data, W);
    expect(result).toBeInstanceOf(cls);
    expect(result.version).toBe(data.cniVersion);
  });

  test('toJSON omits empty lists, empty strings and empty dns even in hand-built data', () => {
    const data: ResultData = {
      cniVersion: '0.4.0',
      interfaces: [],
      ips: [{ version: '4', address: '10.0.0.5/24', gateway: '' }],
      routes: [],
      dns: { nameservers: [], domain: '' },
    };
    expect(resultFromData(data, W).toJSON()).toStrictEqual({
      cniVersion: '0.4.0',
      ips: [{ version: '4', address: '10.0.0.5/24' }],
    });
  });

  test('a 1.0.0 result never prints 1.1.0-only fields, even if its data carries them', () => {
    const data: ResultData = {
      cniVersion: '1.0.0',
      interfaces: [{ name: 'eth0', mtu: 1500, socketPath: '/s', pciID: '0000:00:01.0' }],
      routes: [{ dst: '0.0.0.0/0', mtu: 1500, advmss: 1460, priority: 1, table: 10, scope: 0 }],
    };
    const expected = { cniVersion: '1.0.0', interfaces: [{ name: 'eth0' }], routes: [{ dst: '0.0.0.0/0' }] };
    expect(resultFromData(data, W).toJSON()).toStrictEqual(expected);
    expect(resultFromData(data, W).asVersion('1.0.0').toJSON()).toStrictEqual(expected);
  });

  test('a down-conversion error names the where the result was created with', () => {
    expect(() => resultFromData({ cniVersion: '1.1.0' }, 'delegate "noop"').asVersion('0.2.0')).toThrow(
      'delegate "noop": cannot convert a result without IP addresses to 0.2.0',
    );
  });
});
