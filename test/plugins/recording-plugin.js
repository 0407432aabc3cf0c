#!/usr/bin/env node
// A RECORDING STAND-IN for CNI plugins that do not exist on this machine (flannel, sriov,
// vhostuser). It is not the real plugin: it creates no interface. It records the env and the
// stdin it was called with into `records/` beside the name it was called by (tests link it in a
// temp bin dir as `flannel`, `sriov`, ...), then answers like a plugin would: a result in the
// config's cniVersion for ADD, nothing for DEL/CHECK. `"standIn": {"address": "10.x/24",
// "fail": {"code": N, "msg": "..."}}` in the config changes its answer.
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
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('CNI_') || k === 'PATH'));
const record = { type, command, env, stdin: conf, envKeys: Object.keys(process.env).sort() };
fs.writeFileSync(path.join(recordDir, `${type}-${command}-${ifname}.json`), JSON.stringify(record, null, 2));

const version = conf.cniVersion || '0.1.0';
const standIn = conf.standIn || {};
if (command === 'VERSION') {
  process.stdout.write(JSON.stringify({ cniVersion: version, supportedVersions: ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }));
  process.exit(0);
}
if (standIn.fail && (standIn.fail.on === undefined || standIn.fail.on === command)) {
  process.stdout.write(JSON.stringify({ cniVersion: version, code: standIn.fail.code || 999, msg: standIn.fail.msg || 'stand-in failure' }));
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
