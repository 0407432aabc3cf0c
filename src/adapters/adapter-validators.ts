import type { ClassConstructor } from 'class-transformer';
import type { ValidationOptions } from 'class-validator';
import { isObject } from '../core/json';
import { joinPath, validateModel, type ConfigProblem } from '../core/validation';
import { shown, valueDecorator, type ValueDecorator } from '../core/validators';

/**
 * Value checks the delegate models share, beyond `src/core/validators.ts`. Every message says
 * what was expected and shows the value found, so an operator can fix the config from the
 * error alone.
 */

/** Re-exported so adapter models word their own messages as these checks do. */
export { shown };

/** An integer in [min, max]: MTUs, VLAN ids and VF indexes are ints in Go, so 1.5 or "10" fail there. */
export function IsIntInRange(min: number, max: number, options?: ValidationOptions): PropertyDecorator {
  const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `from ${min} to ${max}`;
  const isIntInRange = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max;
  return valueDecorator('isIntInRange', isIntInRange, `must be an integer ${range}`)(options);
}

/** A JSON boolean: Go's decoder rejects "true" (a string) for a bool field. */
export const IsJsonBoolean: ValueDecorator = valueDecorator(
  'isJsonBoolean',
  (v) => typeof v === 'boolean',
  'must be true or false',
);

/** A JSON object (not an array, not null); its fields are checked separately with {@link nestedProblems}. */
export const IsJsonObject: ValueDecorator = valueDecorator('isJsonObject', isObject, 'must be a JSON object');

/** A JSON array; its items are checked separately with {@link listProblems}. */
export const IsJsonArray: ValueDecorator = valueDecorator('isJsonArray', (v) => Array.isArray(v), 'must be a list');

const PCI_ADDRESS = /^[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/u;

/** True for a sysfs PCI address such as `0000:03:02.3`. */
export function isPciAddress(value: unknown): boolean {
  return typeof value === 'string' && PCI_ADDRESS.test(value);
}

/** A PCI address in sysfs form (domain:bus:device.function), as found under /sys/bus/pci/devices. */
export const IsPciAddress: ValueDecorator = valueDecorator(
  'isPciAddress',
  isPciAddress,
  'must be a PCI address such as 0000:03:02.3',
);

/**
 * Problems of a nested object, at `path`. Nothing when the value is not an object: the parent's
 * {@link IsJsonObject} already said so, and one problem per mistake reads better than two.
 */
export function nestedProblems<T extends object>(
  model: ClassConstructor<T>,
  value: unknown,
  path: string,
): ConfigProblem[] {
  return isObject(value) ? validateModel(model, value, path) : [];
}

/** Problems of each item of a list of objects, at `path[i]`; nothing when the value is not a list. */
export function listProblems<T extends object>(
  model: ClassConstructor<T>,
  value: unknown,
  path: string,
): ConfigProblem[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((item: unknown, i) => validateModel(model, item, joinPath(path, String(i))));
}
