import {
  DEFAULT_NETWORK_ANNOTATION,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  NETWORKS_ANNOTATION,
  type NetworkSelection,
  parseDefaultNetwork,
  parseNetworkSelections,
  SEED_NETWORKS_ANNOTATION,
} from '../../../src/core/selection';
import { CIDRS, NOT_CIDRS } from './cidr-cases';
import { thrownCniError } from '../../support/cni-error';

const NETS = NETWORKS_ANNOTATION;
const SEED = SEED_NETWORKS_ANNOTATION;
const COMMA = 'expected [namespace/]name[@interface]';
const JSON_LIST = 'expected a JSON list of network selection objects';

function entry(key: string, index: number): string {
  return `annotation "${key}" entry ${index}`;
}

function sel(origin: string, name: string, extra: Partial<NetworkSelection> = {}): NetworkSelection {
  return {
    name,
    namespace: undefined,
    interface: undefined,
    ips: undefined,
    mac: undefined,
    defaultRoute: undefined,
    cniArgs: undefined,
    portMappings: undefined,
    bandwidth: undefined,
    infinibandGuid: undefined,
    deviceId: undefined,
    origin,
    ...extra,
  };
}

/** `one(key, name, extra)`: a single selection at entry 1. */
function one(key: string, name: string, extra: Partial<NetworkSelection> = {}): NetworkSelection[] {
  return [sel(entry(key, 1), name, extra)];
}

const SEED_TEXT = '[ { "name": "br-net-1" }, { "name": "br-net-2" }, { "name": "br-net-2" }, { "name": "ptp-net" } ]';
const LONG_LABEL = 'a'.repeat(63);
const IB_GUID = '00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01';

describe('parseNetworkSelections: accepted', () => {
  test.each<[string, string, string, NetworkSelection[]]>([
    [
      'seed example: duplicates and order kept',
      SEED,
      SEED_TEXT,
      ['br-net-1', 'br-net-2', 'br-net-2', 'ptp-net'].map((n, i) => sel(entry(SEED, i + 1), n)),
    ],
    [
      'seed example under the new key',
      NETS,
      SEED_TEXT,
      ['br-net-1', 'br-net-2', 'br-net-2', 'ptp-net'].map((n, i) => sel(entry(NETS, i + 1), n)),
    ],
    [
      'seed key, multi-line like the seed manifest',
      SEED,
      '[\n  { "name": "br-net-1" },\n  { "name": "ptp-net" }\n]\n',
      [sel(entry(SEED, 1), 'br-net-1'), sel(entry(SEED, 2), 'ptp-net')],
    ],
    [
      'seed key, comma form',
      SEED,
      'br-net-1,ptp-net',
      [sel(entry(SEED, 1), 'br-net-1'), sel(entry(SEED, 2), 'ptp-net')],
    ],
    ['comma: name', NETS, 'br-net-1', one(NETS, 'br-net-1')],
    ['comma: namespace/name', NETS, 'ns1/net-a', one(NETS, 'net-a', { namespace: 'ns1' })],
    ['comma: name@interface', NETS, 'net-a@eth1', one(NETS, 'net-a', { interface: 'eth1' })],
    [
      'comma: namespace/name@interface',
      NETS,
      'ns1/net-a@net5',
      one(NETS, 'net-a', { namespace: 'ns1', interface: 'net5' }),
    ],
    [
      'comma: three entries',
      NETS,
      'a,b,c',
      [sel(entry(NETS, 1), 'a'), sel(entry(NETS, 2), 'b'), sel(entry(NETS, 3), 'c')],
    ],
    [
      'comma: spaces around entries',
      NETS,
      ' a , ns/b@eth2 ,c ',
      [
        sel(entry(NETS, 1), 'a'),
        sel(entry(NETS, 2), 'b', { namespace: 'ns', interface: 'eth2' }),
        sel(entry(NETS, 3), 'c'),
      ],
    ],
    [
      'comma: spaces around parts (Go trims each)',
      NETS,
      'ns / name @ eth1',
      one(NETS, 'name', { namespace: 'ns', interface: 'eth1' }),
    ],
    ['comma: empty namespace reads as the pod namespace (Go)', NETS, '/net-a', one(NETS, 'net-a')],
    ['comma: empty interface reads as none (Go)', NETS, 'net-a@', one(NETS, 'net-a')],
    ['comma: subdomain name', NETS, 'my.net.example', one(NETS, 'my.net.example')],
    ['comma: 63-character namespace', NETS, `${LONG_LABEL}/n`, one(NETS, 'n', { namespace: LONG_LABEL })],
    ['comma: digits-only name', NETS, '1/2@3', one(NETS, '2', { namespace: '1', interface: '3' })],
    ['comma: 15-byte interface', NETS, 'n@abcdefghijklmno', one(NETS, 'n', { interface: 'abcdefghijklmno' })],
    ['comma: duplicates kept', NETS, 'a,a', [sel(entry(NETS, 1), 'a'), sel(entry(NETS, 2), 'a')]],
    ['empty value', NETS, '', []],
    ['white space only', NETS, ' \n\t ', []],
    ['empty JSON list (Go: no networks)', NETS, '[]', []],
    [
      'JSON: namespace and interface',
      NETS,
      '[{"name":"a","namespace":"ns","interface":"eth1"}]',
      one(NETS, 'a', { namespace: 'ns', interface: 'eth1' }),
    ],
    [
      'JSON: ips, plain and with prefix, both families',
      NETS,
      '[{"name":"a","ips":["10.1.10.5/24","10.1.10.6","fd00::5/64","::ffff:10.1.1.1"]}]',
      one(NETS, 'a', { ips: ['10.1.10.5/24', '10.1.10.6', 'fd00::5/64', '::ffff:10.1.1.1'] }),
    ],
    ['JSON: empty ips list kept', NETS, '[{"name":"a","ips":[]}]', one(NETS, 'a', { ips: [] })],
    [
      'JSON: mac with colons',
      NETS,
      '[{"name":"a","mac":"02:00:00:0a:01:05"}]',
      one(NETS, 'a', { mac: '02:00:00:0a:01:05' }),
    ],
    [
      'JSON: mac with dashes, upper case',
      NETS,
      '[{"name":"a","mac":"02-00-00-0A-01-05"}]',
      one(NETS, 'a', { mac: '02-00-00-0A-01-05' }),
    ],
    [
      'JSON: mac in dotted groups',
      NETS,
      '[{"name":"a","mac":"0200.000a.0105"}]',
      one(NETS, 'a', { mac: '0200.000a.0105' }),
    ],
    [
      'JSON: 20-byte infiniband GUID',
      NETS,
      `[{"name":"a","infiniband-guid":"${IB_GUID}"}]`,
      one(NETS, 'a', { infinibandGuid: IB_GUID }),
    ],
    [
      'JSON: 8-byte infiniband GUID',
      NETS,
      '[{"name":"a","infiniband-guid":"02:00:5e:10:00:00:00:01"}]',
      one(NETS, 'a', { infinibandGuid: '02:00:5e:10:00:00:00:01' }),
    ],
    [
      'JSON: default-route',
      NETS,
      '[{"name":"a","default-route":["10.1.10.1","fd00::1"]}]',
      one(NETS, 'a', { defaultRoute: ['10.1.10.1', 'fd00::1'] }),
    ],
    [
      'JSON: empty default-route kept (Go tells it from absent)',
      NETS,
      '[{"name":"a","default-route":[]}]',
      one(NETS, 'a', { defaultRoute: [] }),
    ],
    [
      'JSON: cni-args',
      NETS,
      '[{"name":"a","cni-args":{"foo":"bar","n":1}}]',
      one(NETS, 'a', { cniArgs: { foo: 'bar', n: 1 } }),
    ],
    [
      'JSON: portMappings, unknown key dropped',
      NETS,
      '[{"name":"a","portMappings":[{"hostPort":8080,"containerPort":80,"protocol":"tcp","x":1}]}]',
      one(NETS, 'a', { portMappings: [{ hostPort: 8080, containerPort: 80, protocol: 'tcp' }] }),
    ],
    [
      'JSON: bandwidth',
      NETS,
      '[{"name":"a","bandwidth":{"ingressRate":1000,"egressBurst":20,"other":true}}]',
      one(NETS, 'a', { bandwidth: { ingressRate: 1000, egressBurst: 20 } }),
    ],
    ['JSON: deviceID', NETS, '[{"name":"a","deviceID":"0000:03:00.1"}]', one(NETS, 'a', { deviceId: '0000:03:00.1' })],
    ['JSON: unknown keys ignored (Go)', NETS, '[{"name":"a","color":"blue","interfaces":5}]', one(NETS, 'a')],
    [
      'JSON: keys matched case-insensitively (Go encoding/json)',
      NETS,
      '[{"Name":"a","NAMESPACE":"ns","Mac":"02:00:00:0a:01:05"}]',
      one(NETS, 'a', { namespace: 'ns', mac: '02:00:00:0a:01:05' }),
    ],
    [
      'JSON: pre-3.2 interfaceRequest',
      NETS,
      '[{"name":"a","interfaceRequest":"net7"}]',
      one(NETS, 'a', { interface: 'net7' }),
    ],
    [
      'JSON: interface wins over interfaceRequest',
      NETS,
      '[{"name":"a","interfaceRequest":"net7","interface":"net8"}]',
      one(NETS, 'a', { interface: 'net8' }),
    ],
    [
      'JSON: null fields read as absent (Go)',
      NETS,
      '[{"name":"a","namespace":null,"ips":null,"mac":null,"cni-args":null,"bandwidth":null}]',
      one(NETS, 'a'),
    ],
    [
      'JSON: empty strings read as absent (Go)',
      NETS,
      '[{"name":"a","namespace":"","interface":"","mac":"","deviceID":""}]',
      one(NETS, 'a'),
    ],
    ['JSON: leading white space', NETS, '\n  [ {"name": "a"} ]  ', one(NETS, 'a')],
    ['JSON: subdomain name', NETS, '[{"name":"sriov.example.com"}]', one(NETS, 'sriov.example.com')],
    ['comma: the word null is a name (Go)', NETS, 'null', one(NETS, 'null')],
  ])('%s', (_title, key, text, expected) => {
    expect(parseNetworkSelections(key, text)).toStrictEqual(expected);
  });
});

describe('parseNetworkSelections: rejected with code 7, the quoted text and what was expected', () => {
  const long = `${'x'.repeat(300)}/a/b`;
  test.each<[string, string, string, string[]]>([
    ['comma: two slashes', NETS, 'a/b/c', [entry(NETS, 1), '"a/b/c"', "more than one '/'", COMMA]],
    ['comma: two ats', NETS, 'a@b@c', ['"a@b@c"', "more than one '@'", COMMA]],
    ['comma: empty middle entry', NETS, 'a,,b', [entry(NETS, 2), 'empty entry', COMMA]],
    ['comma: trailing comma', NETS, 'a,b,', [entry(NETS, 3), 'empty entry', COMMA]],
    ['comma: upper-case name', NETS, 'Net-A', ['"Net-A"', 'network name', 'DNS-1123 subdomain', COMMA]],
    ['comma: name starts with dash', NETS, '-net', ['"-net"', 'DNS-1123 subdomain']],
    ['comma: name ends with dash', NETS, 'net-', ['"net-"', 'DNS-1123 subdomain']],
    ['comma: underscore in name', NETS, 'net_a', ['"net_a"', 'DNS-1123 subdomain']],
    ['comma: name with a space', NETS, 'net a', ['"net a"', 'DNS-1123 subdomain']],
    ['comma: 254-character name', NETS, 'a'.repeat(254), ['DNS-1123 subdomain', '…']],
    ['comma: upper-case namespace', NETS, 'NS/net', ['"NS/net"', 'namespace "NS" is not a DNS-1123 label', COMMA]],
    ['comma: dotted namespace', NETS, 'my.ns/net', ['namespace "my.ns" is not a DNS-1123 label']],
    ['comma: 64-character namespace', NETS, `${'a'.repeat(64)}/n`, ['is not a DNS-1123 label']],
    ['comma: empty name after namespace', NETS, 'ns/', ['"ns/"', 'network name is empty', COMMA]],
    ['comma: only an interface', NETS, '@eth1', ['"@eth1"', 'network name is empty']],
    [
      'comma: colon in interface',
      NETS,
      'net@eth0:1',
      ['"net@eth0:1"', 'interface', "must not contain '/', ':' or white space", COMMA],
    ],
    ['comma: 16-byte interface', NETS, 'net@abcdefghijklmnop', ['interface', 'longer than 15 bytes']],
    ['comma: interface with a space', NETS, 'net@a b', ['interface', 'white space']],
    ['comma: interface ..', NETS, 'net@..', ['interface', 'not a valid interface name']],
    ['comma: second entry bad', NETS, 'good,Bad', [entry(NETS, 2), '"Bad"']],
    ['comma: seed key', SEED, 'a/b/c', [entry(SEED, 1), '"a/b/c"']],
    ['comma: long text is cut', NETS, long, ['…', "more than one '/'"]],
    [
      'JSON: syntax error',
      NETS,
      '[{"name": "a"',
      ['annotation "k8s.v1.cni.cncf.io/networks"', '"[{\\"name\\": \\"a\\""', 'not valid JSON', JSON_LIST],
    ],
    [
      'JSON: seed key, syntax error',
      SEED,
      '[ { "name": br-net-1 } ]',
      [`annotation "${SEED}"`, 'not valid JSON', JSON_LIST],
    ],
    ['JSON: a bare object', NETS, '{"name":"a"}', ['not a list', JSON_LIST]],
    ['JSON: element is a number', NETS, '[42]', [entry(NETS, 1), '42', 'expected a network selection object']],
    [
      'JSON: element is null (Go panics)',
      NETS,
      '[null]',
      [entry(NETS, 1), 'null', 'expected a network selection object'],
    ],
    ['JSON: element is a string', NETS, '["br-net-1"]', ['"br-net-1"', 'expected a network selection object']],
    ['JSON: missing name', NETS, '[{"namespace":"ns"}]', ['{"namespace":"ns"}', 'field "name" is missing or empty']],
    ['JSON: empty name', NETS, '[{"name":""}]', ['field "name" is missing or empty']],
    ['JSON: numeric name', NETS, '[{"name":5}]', ['field "name" 5', 'expected a string']],
    ['JSON: bad name', NETS, '[{"name":"a/b"}]', ['field "name"', '"a/b" is not a DNS-1123 subdomain']],
    [
      'JSON: bad namespace',
      NETS,
      '[{"name":"a","namespace":"Bad"}]',
      ['field "namespace"', '"Bad" is not a DNS-1123 label'],
    ],
    [
      'JSON: bad interface',
      NETS,
      '[{"name":"a","interface":"eth0/1"}]',
      ['field "interface"', '"eth0/1" must not contain'],
    ],
    [
      'JSON: bad interfaceRequest',
      NETS,
      '[{"name":"a","interfaceRequest":"0123456789abcdef"}]',
      ['field "interface"', 'longer than 15 bytes'],
    ],
    [
      'JSON: ips not a list',
      NETS,
      '[{"name":"a","ips":"10.1.1.1"}]',
      ['field "ips" "10.1.1.1"', 'expected a list of IP addresses'],
    ],
    [
      'JSON: ips bad address',
      NETS,
      '[{"name":"a","ips":["10.1.1.300"]}]',
      ['field "ips" item 1', '"10.1.1.300" is not an IP address', 'expected a list of IP addresses'],
    ],
    [
      'JSON: ips prefix too long',
      NETS,
      '[{"name":"a","ips":["10.1.1.1","10.1.1.2/33"]}]',
      ['field "ips" item 2', '"10.1.1.2/33"'],
    ],
    [
      'JSON: ips with a zone (Go ParseIP refuses)',
      NETS,
      '[{"name":"a","ips":["fe80::1%eth0"]}]',
      ['"fe80::1%eth0" is not an IP address'],
    ],
    ['JSON: ips leading zero (Go refuses)', NETS, '[{"name":"a","ips":["010.1.1.1"]}]', ['"010.1.1.1"']],
    ['JSON: ips item not a string', NETS, '[{"name":"a","ips":[5]}]', ['field "ips" item 1', '5 is not a string']],
    [
      'JSON: short mac',
      NETS,
      '[{"name":"a","mac":"02:00:00:0a:01"}]',
      ['field "mac"', '"02:00:00:0a:01" is not a hardware address', 'expected 6, 8 or 20 hex bytes'],
    ],
    [
      'JSON: mixed mac separators',
      NETS,
      '[{"name":"a","mac":"02:00-00:0a:01:05"}]',
      ['"02:00-00:0a:01:05" is not a hardware address'],
    ],
    ['JSON: 7-byte mac', NETS, '[{"name":"a","mac":"02:00:00:0a:01:05:06"}]', ['is not a hardware address']],
    ['JSON: mac not hex', NETS, '[{"name":"a","mac":"zz:00:00:0a:01:05"}]', ['"zz:00:00:0a:01:05"']],
    [
      'JSON: bad infiniband GUID',
      NETS,
      '[{"name":"a","infiniband-guid":"fe80::1"}]',
      ['field "infiniband-guid"', 'is not a hardware address'],
    ],
    [
      'JSON: default-route with a prefix',
      NETS,
      '[{"name":"a","default-route":["10.1.1.1/24"]}]',
      ['field "default-route" item 1', '"10.1.1.1/24" is not an IP address', 'gateway IP addresses'],
    ],
    [
      'JSON: default-route not a list',
      NETS,
      '[{"name":"a","default-route":"10.1.1.1"}]',
      ['field "default-route" "10.1.1.1"', 'expected a list of gateway IP addresses'],
    ],
    [
      'JSON: cni-args a list',
      NETS,
      '[{"name":"a","cni-args":["x"]}]',
      ['field "cni-args" ["x"]', 'expected a JSON object'],
    ],
    [
      'JSON: portMappings an object',
      NETS,
      '[{"name":"a","portMappings":{"hostPort":1}}]',
      ['field "portMappings"', 'expected a list of objects'],
    ],
    [
      'JSON: portMappings item a string',
      NETS,
      '[{"name":"a","portMappings":["80:80"]}]',
      ['field "portMappings" item 1 "80:80"', 'expected a list of objects'],
    ],
    [
      'JSON: portMappings hostPort a string',
      NETS,
      '[{"name":"a","portMappings":[{"hostPort":"80"}]}]',
      ['"portMappings item 1" key "hostPort" "80"', 'expected an integer'],
    ],
    [
      'JSON: portMappings protocol a number',
      NETS,
      '[{"name":"a","portMappings":[{"protocol":6}]}]',
      ['key "protocol" 6', 'expected a string'],
    ],
    [
      'JSON: bandwidth a number',
      NETS,
      '[{"name":"a","bandwidth":5}]',
      ['field "bandwidth" 5', 'expected a JSON object'],
    ],
    [
      'JSON: bandwidth fractional rate',
      NETS,
      '[{"name":"a","bandwidth":{"ingressRate":1.5}}]',
      ['key "ingressRate" 1.5', 'expected an integer'],
    ],
    ['JSON: deviceID a number', NETS, '[{"name":"a","deviceID":3}]', ['field "deviceID" 3', 'expected a string']],
    [
      'JSON: second element bad',
      NETS,
      '[{"name":"a"},{"name":"B"}]',
      [entry(NETS, 2), '{"name":"B"}', '"B" is not a DNS-1123 subdomain'],
    ],
  ])('%s', (_title, key, text, fragments) => {
    const err = thrownCniError(() => parseNetworkSelections(key, text));
    expect(err.code).toBe(7);
    for (const fragment of fragments) expect(err.msg).toContain(fragment);
  });

  test('a huge annotation is cut in the message', () => {
    const err = thrownCniError(() => parseNetworkSelections(NETS, `[${'{"name":"a"},'.repeat(100)}`));
    expect(err.msg).toContain('…');
    expect(err.msg.length).toBeLessThan(400);
  });
});

describe('parseNetworkSelections: an ips item with a prefix follows the one CIDR rule (parseCidr)', () => {
  const ipsOf = (ip: string): string => JSON.stringify([{ name: 'a', ips: [ip] }]);

  test.each(CIDRS)('accepts %p', (text) => {
    expect(parseNetworkSelections(NETS, ipsOf(text))).toStrictEqual(one(NETS, 'a', { ips: [text] }));
  });

  test.each(NOT_CIDRS.filter(([text]) => text.includes('/')))('refuses %p: %s', (text) => {
    const err = thrownCniError(() => parseNetworkSelections(NETS, ipsOf(text)));
    expect(err.code).toBe(7);
    expect(err.msg).toContain(`field "ips" item 1: ${JSON.stringify(text)} is not an IP address or IP/prefix`);
  });
});

describe('parseDefaultNetwork', () => {
  const origin = entry(DEFAULT_NETWORK_ANNOTATION, 1);
  test.each<[string, NetworkSelection]>([
    ['net-a', sel(origin, 'net-a')],
    [' kube-system/cluster-net ', sel(origin, 'cluster-net', { namespace: 'kube-system' })],
    ['[{"name":"net-a","namespace":"ns"}]', sel(origin, 'net-a', { namespace: 'ns' })],
    ['[{"name":"net-a","mac":"02:00:00:0a:01:05"}]', sel(origin, 'net-a', { mac: '02:00:00:0a:01:05' })],
  ])('accepts %j', (text, expected) => {
    expect(parseDefaultNetwork(text)).toStrictEqual(expected);
  });

  test.each<[string, string[]]>([
    ['', ['names 0 networks', 'expected exactly one [namespace/]name']],
    ['   ', ['names 0 networks']],
    ['[]', ['"[]"', 'names 0 networks']],
    ['a,b', ['"a,b"', 'names 2 networks', 'expected exactly one']],
    ['[{"name":"a"},{"name":"b"}]', ['names 2 networks']],
    ['a/b/c', [`annotation "${DEFAULT_NETWORK_ANNOTATION}" entry 1`, "more than one '/'", COMMA]],
    ['[{"name":"A"}]', ['DNS-1123 subdomain']],
  ])('rejects %j', (text, fragments) => {
    const err = thrownCniError(() => parseDefaultNetwork(text));
    expect(err.code).toBe(7);
    expect(err.msg).toContain(`annotation "${DEFAULT_NETWORK_ANNOTATION}"`);
    for (const fragment of fragments) expect(err.msg).toContain(fragment);
  });
});

describe('DNS-1123 checks', () => {
  test.each([['a'], ['a-b'], ['0'], [LONG_LABEL], ['kube-system']])('label accepts %j', (v) => {
    expect(dns1123LabelProblem(v)).toBeUndefined();
  });
  test.each([[''], ['A'], ['a.b'], ['-a'], ['a-'], ['a'.repeat(64)], ['a_b']])('label rejects %j', (v) => {
    expect(dns1123LabelProblem(v)).toContain('is not a DNS-1123 label');
  });
  test.each([['a.b'], ['a-b.c-d'], ['a'.repeat(253)]])('subdomain accepts %j', (v) => {
    expect(dns1123SubdomainProblem(v)).toBeUndefined();
  });
  test.each([[''], ['a..b'], ['.a'], ['a.'], ['a.-b'], ['a'.repeat(254)]])('subdomain rejects %j', (v) => {
    expect(dns1123SubdomainProblem(v)).toContain('is not a DNS-1123 subdomain');
  });
});
