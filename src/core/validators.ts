import { isIP } from 'node:net';
import { ValidateBy, type ValidationOptions } from 'class-validator';
import { interfaceNameProblem } from './cni-env';
import { parseCidr } from './result/ip-cidr';
import { isSupportedVersion, SUPPORTED_VERSIONS } from './version';

/** class-validator decorators for the value shapes CNI configs use; messages say what was expected. */

/** A CIDR by {@link parseCidr}'s rule, the one delegate results are held to (so no zoned IPv6). */
export function isCidr(value: unknown): boolean {
  return typeof value === 'string' && parseCidr(value) !== undefined;
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

export function IsCidr(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCidr',
      validator: {
        validate: isCidr,
        defaultMessage: (args) => `must be a CIDR such as 10.1.0.0/24, got ${shown(args?.value)}`,
      },
    },
    options,
  );
}

export function IsIpAddress(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIpAddress',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && isIP(v) !== 0,
        defaultMessage: (args) => `must be an IPv4 or IPv6 address, got ${shown(args?.value)}`,
      },
    },
    options,
  );
}

export function IsAbsolutePath(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isAbsolutePath',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && v.startsWith('/') && !v.includes('\0'),
        defaultMessage: (args) => `must be an absolute path, got ${shown(args?.value)}`,
      },
    },
    options,
  );
}

export function IsInterfaceName(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isInterfaceName',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && interfaceNameProblem(v) === undefined,
        defaultMessage: (args) =>
          typeof args?.value === 'string'
            ? `must be a Linux interface name: ${interfaceNameProblem(args.value) ?? ''}`
            : `must be a Linux interface name (string), got ${shown(args?.value)}`,
      },
    },
    options,
  );
}

export function IsCniVersion(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isCniVersion',
      validator: {
        validate: isSupportedVersion,
        defaultMessage: (args) => `must be one of ${SUPPORTED_VERSIONS.join(', ')}, got ${shown(args?.value)}`,
      },
    },
    options,
  );
}

/** A non-empty string: class-validator's IsString accepts ''. */
export function IsNonEmptyString(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isNonEmptyString',
      validator: {
        validate: (v: unknown) => typeof v === 'string' && v.trim() !== '',
        defaultMessage: (args) => `must be a non-empty string, got ${shown(args?.value)}`,
      },
    },
    options,
  );
}
