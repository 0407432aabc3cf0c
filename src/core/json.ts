/**
 * Shape checks for values that came out of `JSON.parse`. CNI configs, delegate results, cache
 * records and API objects are all read as `unknown`; one definition of "a JSON object" keeps
 * every reader agreeing on what passes (an array or null never does).
 */

/** A JSON object: not null and not an array, which `typeof v === 'object'` alone lets through. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
