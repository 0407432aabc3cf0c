import { interfaceNameProblem } from './cni-env';
import { CniCode, CniError } from './errors';
import { isObject } from './json';
import { ipFamily, parseCidr } from './result/ip-cidr';

/**
 * Pod network selection annotations, parsed the way Go Multus reads them (k8sclient.go
 * `parsePodNetworkAnnotation` / `parsePodNetworkObjectName`, types `NetworkSelectionElement`)
 * so a manifest written for Go Multus keeps working; stricter only where Go would fail later
 * (at the API lookup or inside a delegate) or misbehave (nil-pointer panics on `[null]`).
 */

/** Today's key: comma form or JSON list (network-attachment-definition spec 4.1.2). */
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
/** The 2018 seed's key, for `Network` CRD / TPR objects; same grammar as today's key. */
export const SEED_NETWORKS_ANNOTATION = 'networks';
/** Replaces the cluster network (the master) for one pod. */
export const DEFAULT_NETWORK_ANNOTATION = 'v1.multus-cni.io/default-network';

/** One requested attachment. Empty strings in the annotation read as "not given", as in Go. */
export interface NetworkSelection {
  readonly name: string;
  /** undefined = not given: the pod's namespace (or multusNamespace for the default network); the caller decides. */
  readonly namespace: string | undefined;
  readonly interface: string | undefined;
  /** Each a plain IP or `IP/prefix` (Go: ParseCIDR when it has a '/', else ParseIP). An empty list is kept. */
  readonly ips: readonly string[] | undefined;
  readonly mac: string | undefined;
  /** Gateway IPs. Kept even when empty: Go tells `[]` ("no default route here") from absent. */
  readonly defaultRoute: readonly string[] | undefined;
  readonly cniArgs: Readonly<Record<string, unknown>> | undefined;
  /** Only Go's typed keys are kept: hostPort, containerPort, protocol, hostIP. */
  readonly portMappings: readonly Readonly<Record<string, unknown>>[] | undefined;
  /** Only Go's typed keys are kept: ingressRate, ingressBurst, egressRate, egressBurst. */
  readonly bandwidth: Readonly<Record<string, unknown>> | undefined;
  readonly infinibandGuid: string | undefined;
  readonly deviceId: string | undefined;
  /** For messages: e.g. `annotation "k8s.v1.cni.cncf.io/networks" entry 2` (entries count from 1). */
  readonly origin: string;
}

const MAX_SHOWN = 120;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/u;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/u;
const COMMA_FORM = 'expected [namespace/]name[@interface]';
const JSON_FORM = 'expected a JSON list of network selection objects';

/**
 * Why a namespace (or a comma-form name part) is not a DNS-1123 label: ≤ 63 characters of
 * [a-z0-9-], starting and ending alphanumerically. Kubernetes namespaces are labels, and Go
 * Multus checks the comma form with exactly this regex; refusing early beats a 404 later.
 */
export function dns1123LabelProblem(value: string): string | undefined {
  if (value.length <= 63 && LABEL.test(value)) return undefined;
  return (
    `${shown(value)} is not a DNS-1123 label (at most 63 lower-case letters, digits or '-', starting and ending ` +
    `with a letter or digit)`
  );
}

/**
 * Why a network name is not a DNS-1123 subdomain (≤ 253 characters, dot-separated labels).
 * Network names are Kubernetes object names, which are subdomains; Go Multus accepts any name
 * in the JSON form (only its comma form insists on a label), so we accept subdomains in both
 * forms: every manifest Go accepts still parses, and `my.net` works in either form.
 */
export function dns1123SubdomainProblem(value: string): string | undefined {
  if (value.length <= 253 && SUBDOMAIN.test(value)) return undefined;
  return (
    `${shown(value)} is not a DNS-1123 subdomain (at most 253 characters: lower-case letters, digits, '-' and ` +
    `'.', each dot-separated part starting and ending with a letter or digit)`
  );
}

/**
 * Parses one annotation value of either key into selections, in order (duplicates kept: the
 * seed attaches br-net-2 twice). JSON list when the trimmed text starts with '[' (or '{', to
 * say a bare object is not a list); otherwise the comma form `[namespace/]name[@interface]`.
 * Empty or white space only → []. Anything malformed → code 7 before anything runs.
 */
export function parseNetworkSelections(annotationKey: string, text: string): NetworkSelection[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  const where = `annotation ${JSON.stringify(annotationKey)}`;
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) return parseJsonForm(where, trimmed);
  return trimmed.split(',').map((item, i) => parseObjectName(`${where} entry ${i + 1}`, item));
}

/** What a pod's annotations select: which networks key was read, its selections, the default-network override. */
export interface PodSelections {
  /** `k8s.v1.cni.cncf.io/networks`, or the seed's `networks` when the pod has no such annotation. */
  readonly key: string;
  readonly selections: readonly NetworkSelection[];
  readonly chosenDefault: NetworkSelection | undefined;
}

/** Reads a pod's annotations as the Kubernetes source does: the one place the key is chosen. */
export function podSelections(annotations: Readonly<Record<string, string>>): PodSelections {
  const key = annotations[NETWORKS_ANNOTATION] !== undefined ? NETWORKS_ANNOTATION : SEED_NETWORKS_ANNOTATION;
  const override = annotations[DEFAULT_NETWORK_ANNOTATION];
  return {
    key,
    selections: parseNetworkSelections(key, annotations[key] ?? ''),
    chosenDefault: override === undefined || override.trim() === '' ? undefined : parseDefaultNetwork(override),
  };
}

/**
 * Parses `v1.multus-cni.io/default-network`: exactly one selection, in either form. Go parses
 * it with the same parser and refuses more than one (and panics on none). Other fields are
 * returned as given; note Go gives the master the pod's CNI_IFNAME whatever `interface` says.
 */
export function parseDefaultNetwork(text: string): NetworkSelection {
  const selections = parseNetworkSelections(DEFAULT_NETWORK_ANNOTATION, text);
  const [only] = selections;
  if (selections.length === 1 && only !== undefined) return only;
  throw invalid(
    `annotation ${JSON.stringify(DEFAULT_NETWORK_ANNOTATION)} ${shown(text)}: names ${selections.length} ` +
      `networks; expected exactly one [namespace/]name`,
  );
}

// ---------------------------------------------------------------- comma form

function parseObjectName(origin: string, raw: string): NetworkSelection {
  const item = raw.trim();
  const fail = (problem: string): CniError => invalid(`${origin} ${shown(item)}: ${problem}; ${COMMA_FORM}`);
  if (item === '') throw fail('empty entry');
  const slash = item.split('/');
  if (slash.length > 2) throw fail("more than one '/'");
  const rest = slash[slash.length - 1] ?? '';
  const at = rest.split('@');
  if (at.length > 2) throw fail("more than one '@'");
  const namespace = slash.length === 2 ? (slash[0] ?? '').trim() : '';
  const name = (at[0] ?? '').trim();
  const ifname = (at[1] ?? '').trim();
  if (name === '') throw fail('the network name is empty');
  const problem =
    (namespace === '' ? undefined : withWhat('namespace', dns1123LabelProblem(namespace))) ??
    withWhat('network name', dns1123SubdomainProblem(name)) ??
    (ifname === '' ? undefined : withWhat('interface', interfaceNameProblem(ifname)));
  if (problem !== undefined) throw fail(problem);
  return selection(origin, name, { namespace: orNone(namespace), interface: orNone(ifname) });
}

// ---------------------------------------------------------------- JSON form

const ELEMENT_KEYS = [
  'name',
  'namespace',
  'interface',
  'interfaceRequest',
  'ips',
  'mac',
  'default-route',
  'cni-args',
  'portMappings',
  'bandwidth',
  'infiniband-guid',
  'deviceID',
] as const;
const PORT_MAPPING_INTS = ['hostPort', 'containerPort'] as const;
const PORT_MAPPING_STRINGS = ['protocol', 'hostIP'] as const;
const BANDWIDTH_INTS = ['ingressRate', 'ingressBurst', 'egressRate', 'egressBurst'] as const;

/** An element's fields by canonical key, and the prefix naming it in messages. */
interface Fields {
  readonly at: string;
  readonly values: ReadonlyMap<string, unknown>;
}

function parseJsonForm(where: string, text: string): NetworkSelection[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw invalid(`${where} ${shown(text)}: not valid JSON (${reason}); ${JSON_FORM}`);
  }
  if (!Array.isArray(parsed)) throw invalid(`${where} ${shown(text)}: not a list; ${JSON_FORM}`);
  return parsed.map((element: unknown, i) => parseElement(`${where} entry ${i + 1}`, element));
}

function parseElement(origin: string, element: unknown): NetworkSelection {
  const at = `${origin} ${shown(element)}`;
  if (!isObject(element)) throw invalid(`${at}: expected a network selection object such as {"name": "br-net-1"}`);
  const f: Fields = { at, values: foldKeys(element, ELEMENT_KEYS) };
  const name = stringField(f, 'name');
  if (name === undefined)
    throw invalid(`${at}: field "name" is missing or empty; expected the network's name as a string`);
  checkField(f, 'name', name, dns1123SubdomainProblem);
  const namespace = stringField(f, 'namespace');
  if (namespace !== undefined) checkField(f, 'namespace', namespace, dns1123LabelProblem);
  // Go: the pre-3.2 key `interfaceRequest` still counts when `interface` is not given.
  const ifname = stringField(f, 'interface') ?? stringField(f, 'interfaceRequest');
  if (ifname !== undefined) checkField(f, 'interface', ifname, interfaceNameProblem);
  const mac = stringField(f, 'mac');
  if (mac !== undefined) checkField(f, 'mac', mac, hardwareAddressProblem);
  const infinibandGuid = stringField(f, 'infiniband-guid');
  if (infinibandGuid !== undefined) checkField(f, 'infiniband-guid', infinibandGuid, hardwareAddressProblem);
  return selection(origin, name, {
    namespace,
    interface: ifname,
    ips: stringListField(f, 'ips', ipOrCidrProblem),
    mac,
    defaultRoute: stringListField(f, 'default-route', ipProblem),
    cniArgs: objectField(f, 'cni-args'),
    portMappings: portMappingsField(f),
    bandwidth: typedObject(f, 'bandwidth', objectField(f, 'bandwidth'), BANDWIDTH_INTS, []),
    infinibandGuid,
    deviceId: stringField(f, 'deviceID'),
  });
}

/**
 * Known keys by canonical spelling. Go's encoding/json matches keys case-insensitively and the
 * last one wins; unknown keys are ignored, as in Go.
 */
function foldKeys(object: Record<string, unknown>, known: readonly string[]): Map<string, unknown> {
  const byLower = new Map(known.map((k) => [k.toLowerCase(), k]));
  const values = new Map<string, unknown>();
  for (const [key, value] of Object.entries(object)) {
    const canonical = byLower.get(key.toLowerCase());
    if (canonical !== undefined) values.set(canonical, value);
  }
  return values;
}

/** A string field; absent, null or "" → undefined (Go leaves the zero value). */
function stringField(f: Fields, key: string): string | undefined {
  const value = f.values.get(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw fieldError(f, key, value, 'expected a string');
  return value;
}

function checkField(f: Fields, key: string, value: string, problemOf: (v: string) => string | undefined): void {
  const problem = problemOf(value);
  if (problem !== undefined) throw invalid(`${f.at}: field ${JSON.stringify(key)}: ${problem}`);
}

function stringListField(f: Fields, key: string, problemOf: (v: string) => string | undefined): string[] | undefined {
  const value = f.values.get(key);
  if (value === undefined || value === null) return undefined;
  const expected =
    key === 'ips' ? 'a list of IP addresses, each optionally with a /prefix' : 'a list of gateway IP addresses';
  if (!Array.isArray(value)) throw fieldError(f, key, value, `expected ${expected}`);
  return value.map((item: unknown, i) => {
    const problem = typeof item === 'string' ? problemOf(item) : `${shown(item)} is not a string`;
    if (problem !== undefined)
      throw invalid(`${f.at}: field ${JSON.stringify(key)} item ${i + 1}: ${problem}; expected ${expected}`);
    return item as string;
  });
}

function objectField(f: Fields, key: string): Record<string, unknown> | undefined {
  const value = f.values.get(key);
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw fieldError(f, key, value, 'expected a JSON object');
  return value;
}

function portMappingsField(f: Fields): Record<string, unknown>[] | undefined {
  const value = f.values.get('portMappings');
  if (value === undefined || value === null) return undefined;
  const expected = 'expected a list of objects such as {"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}';
  if (!Array.isArray(value)) throw fieldError(f, 'portMappings', value, expected);
  return value.map((item: unknown, i) => {
    if (!isObject(item)) throw invalid(`${f.at}: field "portMappings" item ${i + 1} ${shown(item)}: ${expected}`);
    return typedObject(f, `portMappings item ${i + 1}`, item, PORT_MAPPING_INTS, PORT_MAPPING_STRINGS) ?? {};
  });
}

/** Keeps the keys Go's typed struct has (matched case-insensitively) after checking their types. */
function typedObject(
  f: Fields,
  what: string,
  object: Record<string, unknown> | undefined,
  ints: readonly string[],
  strings: readonly string[],
): Record<string, unknown> | undefined {
  if (object === undefined) return undefined;
  const kept: Record<string, unknown> = {};
  for (const [key, value] of foldKeys(object, [...ints, ...strings])) {
    if (value === null) continue;
    const ok = ints.includes(key) ? Number.isSafeInteger(value) : typeof value === 'string';
    if (!ok) {
      const expected = ints.includes(key) ? 'an integer' : 'a string';
      throw invalid(
        `${f.at}: field ${JSON.stringify(what)} key ${JSON.stringify(key)} ${shown(value)}: expected ${expected}`,
      );
    }
    kept[key] = value;
  }
  return kept;
}

function fieldError(f: Fields, key: string, value: unknown, expected: string): CniError {
  return invalid(`${f.at}: field ${JSON.stringify(key)} ${shown(value)}: ${expected}`);
}

// ---------------------------------------------------------------- value checks

/** Go's net.ParseIP: no zone (`%eth0`), no leading zeros in IPv4 (node:net agrees on the rest). */
function ipProblem(value: string): string | undefined {
  if (ipFamily(value) !== undefined) return undefined;
  return `${shown(value)} is not an IP address`;
}

/** Go Multus: ParseCIDR when the text has a '/', otherwise ParseIP. */
function ipOrCidrProblem(value: string): string | undefined {
  if (!value.includes('/')) return ipProblem(value);
  if (parseCidr(value) !== undefined) return undefined;
  return `${shown(value)} is not an IP address or IP/prefix`;
}

/**
 * Go's net.ParseMAC, used for both `mac` and `infiniband-guid`: 6, 8 or 20 bytes written as
 * hex pairs separated by one consistent ':' or '-', or as dot-separated groups of 4 hex digits.
 */
function hardwareAddressProblem(value: string): string | undefined {
  let bytes = 0;
  if (/^[0-9a-f]{2}([:-])[0-9a-f]{2}(\1[0-9a-f]{2})*$/iu.test(value)) bytes = (value.length + 1) / 3;
  else if (/^[0-9a-f]{4}(\.[0-9a-f]{4})*$/iu.test(value)) bytes = (2 * (value.length + 1)) / 5;
  if (bytes === 6 || bytes === 8 || bytes === 20) return undefined;
  return `${shown(value)} is not a hardware address; expected 6, 8 or 20 hex bytes such as 02:00:00:0a:01:05`;
}

// ---------------------------------------------------------------- helpers

function selection(
  origin: string,
  name: string,
  fields: Partial<Omit<NetworkSelection, 'name' | 'origin'>>,
): NetworkSelection {
  return {
    name,
    namespace: fields.namespace,
    interface: fields.interface,
    ips: fields.ips,
    mac: fields.mac,
    defaultRoute: fields.defaultRoute,
    cniArgs: fields.cniArgs,
    portMappings: fields.portMappings,
    bandwidth: fields.bandwidth,
    infinibandGuid: fields.infinibandGuid,
    deviceId: fields.deviceId,
    origin,
  };
}

function withWhat(what: string, problem: string | undefined): string | undefined {
  return problem === undefined ? undefined : `${what} ${problem}`;
}

function orNone(value: string): string | undefined {
  return value === '' ? undefined : value;
}

/** JSON text of a value, cut to ~120 characters so a huge annotation cannot flood the message. */
function shown(value: unknown): string {
  const cut = (s: string): string => (s.length > MAX_SHOWN ? `${s.slice(0, MAX_SHOWN - 1)}…` : s);
  if (typeof value === 'string') return JSON.stringify(cut(value));
  return cut(JSON.stringify(value) ?? String(value));
}

function invalid(msg: string): CniError {
  return new CniError(CniCode.InvalidConfig, msg);
}

/**
 * A key per selection that stays the same while the annotation entry does:
 * `namespace/name@interface#n` (no interface: empty; n counts earlier equal entries from 0), the
 * namespace defaulting to the pod's. Live networks match a running pod's annotation with its
 * record by these keys: an entry added or removed changes no other entry's key.
 */
export function selectionKeys(selections: readonly NetworkSelection[], podNamespace: string): string[] {
  const seen = new Map<string, number>();
  return selections.map((s) => {
    const base = `${s.namespace ?? podNamespace}/${s.name}@${s.interface ?? ''}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}#${n}`;
  });
}
