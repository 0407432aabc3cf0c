import 'reflect-metadata';
import { validateModel } from '../../../src/core/validation';
import { isCidr, IsCidr, valueDecorator } from '../../../src/core/validators';
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

const IsEven = valueDecorator('isEven', (v) => typeof v === 'number' && v % 2 === 0, 'must be an even number');
const IsShort = valueDecorator(
  'isShort',
  (v) => typeof v === 'string' && v.length < 3,
  (v) => `too long: ${String(v)}`,
);

class EvenModel {
  @IsEven()
  n!: unknown;

  @IsShort()
  s!: unknown;

  @IsEven({ message: 'custom' })
  m!: unknown;
}

describe('valueDecorator', () => {
  test('appends the value found to what was expected, unless the message is worded whole; options still apply', () => {
    expect(validateModel(EvenModel, { n: 3, s: 'long', m: 1 }, '')).toStrictEqual([
      { path: 'n', message: 'must be an even number, got 3' },
      { path: 's', message: 'too long: long' },
      { path: 'm', message: 'custom' },
    ]);
    expect(validateModel(EvenModel, { n: 2, s: 'ok', m: 4 }, '')).toStrictEqual([]);
  });
});
