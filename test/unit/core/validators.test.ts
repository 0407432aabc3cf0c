import 'reflect-metadata';
import { validateModel } from '../../../src/core/validation';
import { isCidr, IsCidr } from '../../../src/core/validators';
import { CIDRS, NOT_CIDRS } from './cidr-cases';

class SubnetModel {
  @IsCidr()
  subnet!: unknown;
}

describe('isCidr: the same rule as delegate results (parseCidr)', () => {
  test.each(CIDRS)('accepts %p', (text) => {
    expect(isCidr(text)).toBe(true);
  });

  test.each(NOT_CIDRS)('refuses %p: %s', (text) => {
    expect(isCidr(text)).toBe(false);
  });

  test.each([5, null, undefined, ['10.0.0.0/8'], { subnet: '10.0.0.0/8' }])('refuses the non-string %p', (value) => {
    expect(isCidr(value)).toBe(false);
  });
});

describe('IsCidr', () => {
  test('says what was expected and shows the value, zoned IPv6 included', () => {
    expect(validateModel(SubnetModel, { subnet: 'fe80::1%eth0/64' }, 'ipam')).toStrictEqual([
      { path: 'ipam.subnet', message: 'must be a CIDR such as 10.1.0.0/24, got "fe80::1%eth0/64"' },
    ]);
    expect(validateModel(SubnetModel, { subnet: 'fd00::/8' }, 'ipam')).toStrictEqual([]);
  });
});
