#!/usr/bin/env node
// A RECORDING STAND-IN for CNI plugins that do not exist on this machine (flannel, sriov,
// vhostuser). It is not the real plugin: it creates no interface. It records the env and the
// stdin it was called with into `records/` beside the name it was called by (tests link it in a
// temp bin dir as `flannel`, `sriov`, ...), then answers like a plugin would: a result in the
// config's cniVersion for ADD, nothing for DEL/CHECK. `"standIn": {"address": "10.x/24",
// "fail": {"code": N, "msg": "..."}}` in the config changes its answer.
// VERSION calls are appended to `records/VERSION.jsonl` (one line each: {type, at}) instead, so
// tests can count them. A file `<type>.versions` beside the link (a JSON list) makes the
// stand-in claim only those versions: VERSION answers with them, and any other command whose
// cniVersion is not among them fails with code 1, as a real plugin does.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const invokedAs = process.argv[1];
const type = path.basename(invokedAs);
const command = process.env.CNI_COMMAND || '';
const ifname = process.env.CNI_IFNAME || '';
const stdin = fs.readFileSync(0, 'utf8');
let conf = {};
try {
  conf = JSON.parse(stdin);
} catch {
  conf = { unparsable: stdin };
}

const recordDir = path.join(path.dirname(invokedAs), 'records');
fs.mkdirSync(recordDir, { recursive: true });
const versionsFile = path.join(path.dirname(invokedAs), `${type}.versions`);
const supported = fs.existsSync(versionsFile)
  ? JSON.parse(fs.readFileSync(versionsFile, 'utf8'))
  : ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];
const version = conf.cniVersion || '0.1.0';
if (command === 'VERSION') {
  fs.appendFileSync(path.join(recordDir, 'VERSION.jsonl'), `${JSON.stringify({ type, at: Date.now() })}\n`);
  process.stdout.write(
    JSON.stringify({
      cniVersion: supported.includes(version) ? version : supported[supported.length - 1],
      supportedVersions: supported,
    }),
  );
  process.exit(0);
}
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_') || k === 'PATH'));
const record = { type, command, env, stdin: conf, envKeys: Object.keys(process.env).sort() };
fs.writeFileSync(path.join(recordDir, `${type}-${command}-${ifname}.json`), JSON.stringify(record, null, 2));

const standIn = conf.standIn || {};
if (!supported.includes(version)) {
  const msg = `incompatible CNI versions; config is "${version}", plugin supports ${JSON.stringify(supported)}`;
  process.stdout.write(JSON.stringify({ cniVersion: version, code: 1, msg }));
  process.exit(1);
}
if (standIn.fail && (standIn.fail.on === undefined || standIn.fail.on === command)) {
  process.stdout.write(
    JSON.stringify({
      cniVersion: version,
      code: standIn.fail.code || 999,
      msg: standIn.fail.msg || 'stand-in failure',
    }),
  );
  process.exit(1);
}
if (command !== 'ADD') process.exit(0);

const address = standIn.address || '10.77.0.2/24';
const gateway = address.replace(/\.\d+\/\d+$/, '.1');
if (version === '0.1.0' || version === '0.2.0') {
  process.stdout.write(JSON.stringify({ cniVersion: version, ip4: { ip: address, gateway } }));
} else {
  const ip = { address, gateway, interface: 0 };
  if (!version.startsWith('1.')) ip.version = '4';
  const iface = { name: ifname, mac: '0a:58:0a:4d:00:02', sandbox: process.env.CNI_NETNS || '' };
  process.stdout.write(JSON.stringify({ cniVersion: version, interfaces: [iface], ips: [ip] }));
}
