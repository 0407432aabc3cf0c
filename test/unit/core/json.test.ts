import { isObject } from '../../../src/core/json';

describe('isObject', () => {
  test.each([{}, { a: 1 }, Object.create(null) as object, JSON.parse('{"plugins":[]}') as unknown])(
    '%p is a JSON object',
    (value) => {
      expect(isObject(value)).toBe(true);
    },
  );

  test.each([null, undefined, [], [{}], 'x', '{}', 0, true])('%p is not', (value) => {
    expect(isObject(value)).toBe(false);
  });
});
