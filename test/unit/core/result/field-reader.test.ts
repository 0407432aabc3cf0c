import { CniCode } from '../../../../src/core/errors';
import { describeValue, FieldReader } from '../../../../src/core/result/field-reader';

const r = new FieldReader('delegate "x"');

describe('describeValue', () => {
  test.each([
    [undefined, 'nothing'],
    [null, 'null'],
    ['a', '"a"'],
    [1.5, '1.5'],
    [{ a: [1] }, '{"a":[1]}'],
  ])('%p -> %s', (value, text) => {
    expect(describeValue(value)).toBe(text);
  });

  test('shortens long values to 80 characters', () => {
    const text = describeValue('y'.repeat(500));
    expect(text).toHaveLength(80);
    expect(text.endsWith('...')).toBe(true);
  });
});

describe('FieldReader', () => {
  test('fail builds a DelegateBadOutput error naming where and path', () => {
    const err = r.fail('result.x', 'must be shiny', 3);
    expect(err.code).toBe(CniCode.DelegateBadOutput);
    expect(err.msg).toBe('delegate "x": result.x: must be shiny, got 3');
  });

  test('optional readers treat undefined and null as absent', () => {
    for (const absent of [undefined, null]) {
      expect(r.optObject(absent, 'p')).toBeUndefined();
      expect(r.optString(absent, 'p')).toBeUndefined();
      expect(r.optArray(absent, 'p')).toBeUndefined();
      expect(r.optStringList(absent, 'p')).toBeUndefined();
      expect(r.optIp(absent, 'p')).toBeUndefined();
      expect(r.optUint(absent, 'p', false)).toBeUndefined();
      expect(r.optIndex(absent, 'p', 0)).toBeUndefined();
    }
  });

  test('empty strings and lists read as absent where Go would omit them', () => {
    expect(r.optString('', 'p')).toBeUndefined();
    expect(r.optIp('', 'p')).toBeUndefined();
    expect(r.optStringList([], 'p')).toBeUndefined();
    expect(r.string('', 'p')).toBe('');
  });

  test('optUint keeps or drops zero as asked', () => {
    expect(r.optUint(0, 'p', false)).toBe(0);
    expect(r.optUint(0, 'p', true)).toBeUndefined();
    expect(r.optUint(7, 'p', true)).toBe(7);
    expect(() => r.optUint(Number.NaN, 'p', false)).toThrow('must be a non-negative integer');
  });

  test('optIndex accepts indexes below the count only', () => {
    expect(r.optIndex(1, 'p', 2)).toBe(1);
    expect(() => r.optIndex(2, 'p', 2)).toThrow('p: must be an index into result.interfaces (0..1), got 2');
  });
});
