import { isIP } from 'node:net';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { interfaceNameProblem } from './cni-env';
import { parseCidr } from './result/ip-cidr';
import { isSupportedVersion, SUPPORTED_VERSIONS } from './version';

/** class-validator decorators for the value shapes CNI configs use; messages say what was expected. */

/** A value as it appeared in the JSON, for messages (`"x"`, `5`, `[]`). */
export function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

/** A property decorator that takes class-validator's options (a custom `message`, `each`, ...). */
export type ValueDecorator = (options?: ValidationOptions) => PropertyDecorator;

/**
 * The one way this project defines a value check: `expected` is what the message says first and
 * the value found is appended (`must be ..., got 5`), unless `expected` is a function of the value
 * that words the whole message itself.
 */
export function valueDecorator(
  name: string,
  validate: (value: unknown) => boolean,
  expected: string | ((value: unknown) => string),
): ValueDecorator {
  const message = (value: unknown): string =>
    typeof expected === 'string' ? `${expected}, got ${shown(value)}` : expected(value);
  return (options) =>
    ValidateBy({ name, validator: { validate, defaultMessage: (args) => message(args?.value) } }, options);
}

/** A CIDR by {@link parseCidr}'s rule, the one delegate results are held to (so no zoned IPv6). */
export function isCidr(value: unknown): boolean {
  return typeof value === 'string' && parseCidr(value) !== undefined;
}

export const IsCidr: ValueDecorator = valueDecorator('isCidr', isCidr, 'must be a CIDR such as 10.1.0.0/24');

export const IsIpAddress: ValueDecorator = valueDecorator(
  'isIpAddress',
  (v) => typeof v === 'string' && isIP(v) !== 0,
  'must be an IPv4 or IPv6 address',
);

export const IsAbsolutePath: ValueDecorator = valueDecorator(
  'isAbsolutePath',
  (v) => typeof v === 'string' && v.startsWith('/') && !v.includes('\0'),
  'must be an absolute path',
);

export const IsInterfaceName: ValueDecorator = valueDecorator(
  'isInterfaceName',
  (v) => typeof v === 'string' && interfaceNameProblem(v) === undefined,
  (value) =>
    typeof value === 'string'
      ? `must be a Linux interface name: ${interfaceNameProblem(value) ?? ''}`
      : `must be a Linux interface name (string), got ${shown(value)}`,
);

export const IsCniVersion: ValueDecorator = valueDecorator(
  'isCniVersion',
  isSupportedVersion,
  `must be one of ${SUPPORTED_VERSIONS.join(', ')}`,
);

/** A non-empty string: class-validator's IsString accepts ''. */
export const IsNonEmptyString: ValueDecorator = valueDecorator(
  'isNonEmptyString',
  (v) => typeof v === 'string' && v.trim() !== '',
  'must be a non-empty string',
);
