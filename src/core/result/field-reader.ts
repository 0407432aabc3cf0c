/**
 * Typed reads of a delegate's result JSON. Every failure names the caller-supplied `where` and the
 * JSON path of the bad field, so an operator can tell which delegate printed what, and every
 * failure is a CniError with code 102 (DelegateBadOutput) so callers classify it by code.
 */
import { CniCode, CniError } from '../errors';
import { isObject } from '../json';
import { type Cidr, ipFamily, parseCidr } from './ip-cidr';

/** A JSON object as parsed from a delegate's stdout. */
export type JsonObject = Record<string, unknown>;

/** How the offending value is quoted in messages: JSON, shortened so a huge blob stays readable. */
export function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  // JSON.stringify gives undefined (beside undefined itself) only for a function or a symbol.
  const text = JSON.stringify(value) ?? (value as symbol | (() => unknown)).toString();
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function isAbsent(value: unknown): value is undefined | null {
  return value === undefined || value === null;
}

/**
 * Reads fields for one result. Optional readers treat `undefined` and `null` as absent (Go
 * decodes a JSON null into a zero value) and, where Go's `omitempty` would drop the value on
 * output, also treat the empty string as absent.
 */
export class FieldReader {
  constructor(readonly where: string) {}

  /** The error for `path`, e.g. `where: result.ips[0].address: must be ..., got "x"`. */
  fail(path: string, expectation: string, value: unknown): CniError {
    return new CniError(
      CniCode.DelegateBadOutput,
      `${this.where}: ${path}: ${expectation}, got ${describeValue(value)}`,
    );
  }

  object(value: unknown, path: string): JsonObject {
    if (!isObject(value)) {
      throw this.fail(path, 'must be a JSON object', value);
    }
    return value;
  }

  optObject(value: unknown, path: string): JsonObject | undefined {
    return isAbsent(value) ? undefined : this.object(value, path);
  }

  string(value: unknown, path: string): string {
    if (typeof value !== 'string') throw this.fail(path, 'must be a string', value);
    return value;
  }

  /** An optional string; absent, null and "" all read as undefined (Go's omitempty). */
  optString(value: unknown, path: string): string | undefined {
    if (isAbsent(value)) return undefined;
    const text = this.string(value, path);
    return text === '' ? undefined : text;
  }

  /** An optional array; absent and null read as undefined. */
  optArray(value: unknown, path: string): readonly unknown[] | undefined {
    if (isAbsent(value)) return undefined;
    if (!Array.isArray(value)) throw this.fail(path, 'must be an array', value);
    return value as unknown[];
  }

  /** An optional list of strings; an empty list reads as undefined (Go's omitempty). */
  optStringList(value: unknown, path: string): string[] | undefined {
    const items = this.optArray(value, path);
    if (items === undefined || items.length === 0) return undefined;
    return items.map((item, i) => this.string(item, `${path}[${i}]`));
  }

  cidr(value: unknown, path: string): Cidr {
    const cidr = typeof value === 'string' ? parseCidr(value) : undefined;
    if (cidr === undefined) throw this.fail(path, 'must be an IP address with prefix (CIDR)', value);
    return cidr;
  }

  /** An optional bare IP address (a gateway); "" reads as absent, as in Go's `net.IP`. */
  optIp(value: unknown, path: string): string | undefined {
    if (isAbsent(value) || value === '') return undefined;
    if (typeof value !== 'string' || ipFamily(value) === undefined) {
      throw this.fail(path, 'must be an IP address', value);
    }
    return value;
  }

  /**
   * An optional non-negative integer. With `dropZero`, 0 reads as absent: Go declares `mtu`,
   * `advmss` and `priority` as plain ints with omitempty, so a 0 never survives a Go round trip,
   * while `table`, `scope` and `interface` are pointers and keep 0.
   */
  optUint(value: unknown, path: string, dropZero: boolean): number | undefined {
    if (isAbsent(value)) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw this.fail(path, 'must be a non-negative integer', value);
    }
    return dropZero && value === 0 ? undefined : value;
  }

  /** An optional index into `result.interfaces`, which has `count` entries. */
  optIndex(value: unknown, path: string, count: number): number | undefined {
    const index = this.optUint(value, path, false);
    if (index !== undefined && index >= count) {
      const range = count === 0 ? 'result.interfaces, which is empty' : `result.interfaces (0..${count - 1})`;
      throw this.fail(path, `must be an index into ${range}`, value);
    }
    return index;
  }
}
