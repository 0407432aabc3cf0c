#!/usr/bin/env node
// A FAULT-INJECTING TEST PLUGIN. It is NOT a real CNI plugin and creates no interface itself.
// It stands in for a delegate in the fault-matrix tests (test/integration/fault-matrix.test.ts):
//
// - Without a fault for the current command it DELEGATES: it runs the real reference plugin
//   named by its config's `"delegateTo"` (e.g. "bridge"), found in CNI_PATH (then /usr/lib/cni),
//   with the same env and its stdin minus its own keys (`fault`, `faultDir`, `delegateTo`, with
//   `type` set to the real plugin's), and passes that plugin's stdout, stderr and exit status
//   through. So the pod gets real interfaces and real host-local leases.
// - With `"fault": {"on": "ADD"|"DEL"|"CHECK"|"any", "do": ..., "code": N, "msg": "...",
//   "signal": "SIGKILL", "delegateFirst": true, "times": N}` it misbehaves on that command:
//     fail                   print a CNI error JSON (code, msg) and exit 1
//     error-exit0            print a CNI error JSON (code, msg) and exit 0
//     garbage                print text that is not JSON, exit 0
//     empty                  print nothing, exit 0
//     unknown-version        print a result whose cniVersion is "9.9.9", exit 0
//     die                    kill itself with `signal` (default SIGKILL)
//     hang                   start a grandchild in its own process group, write both pids to
//                            `<faultDir>/hang-<pid>.pids`, then sleep forever
//     kill-parent-then-hang  as hang, but SIGKILL its parent (multus) first
//   `delegateFirst: true` runs the real plugin first (its interface and lease are made, its
//   output discarded), then misbehaves: the worst case for a rollback. `times: N` fires the
//   fault on the first N matching calls only (counted in `<faultDir>/fault-<ifname>.count`).
// - Every call appends one JSON line to `<faultDir>/calls.jsonl`:
//   {pid, ppid, command, containerId, ifname, netns, delegateTo, fault, at}.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const { spawn, spawnSync } = require('node:child_process');

const OWN_KEYS = ['fault', 'faultDir', 'delegateTo'];
const SLEEP_FOREVER_MS = 2 ** 30;

if (process.argv[2] === '--grandchild') {
  // The hanging plugin's child: sleeps until its process group is killed.
  setInterval(() => undefined, SLEEP_FOREVER_MS);
  return;
}

const command = process.env.CNI_COMMAND || '';
const ifname = process.env.CNI_IFNAME || '';
const stdin = command === 'VERSION' ? '' : fs.readFileSync(0, 'utf8');
let conf = {};
try {
  conf = stdin === '' ? {} : JSON.parse(stdin);
} catch {
  conf = {};
}
const version = conf.cniVersion || '0.4.0';
const faultDir = typeof conf.faultDir === 'string' ? conf.faultDir : undefined;

if (command === 'VERSION') {
  process.stdout.write(
    JSON.stringify({ cniVersion: version, supportedVersions: ['0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] }),
  );
  process.exit(0);
}

/** The fault to act out now, if any (taking `on` and `times` into account). */
function activeFault() {
  const fault = conf.fault;
  if (fault === null || typeof fault !== 'object') return undefined;
  const on = fault.on || 'ADD';
  if (on !== 'any' && on !== command) return undefined;
  if (typeof fault.times === 'number' && faultDir !== undefined) {
    const counter = path.join(faultDir, `fault-${ifname}.count`);
    const fired = fs.existsSync(counter) ? Number(fs.readFileSync(counter, 'utf8')) : 0;
    if (fired >= fault.times) return undefined;
    fs.writeFileSync(counter, String(fired + 1));
  }
  return fault;
}

const fault = activeFault();

if (faultDir !== undefined) {
  fs.mkdirSync(faultDir, { recursive: true });
  const call = {
    pid: process.pid,
    ppid: process.ppid,
    command,
    containerId: process.env.CNI_CONTAINERID || '',
    ifname,
    netns: process.env.CNI_NETNS || '',
    delegateTo: conf.delegateTo,
    fault: fault === undefined ? undefined : fault.do,
    at: Date.now(),
  };
  fs.appendFileSync(path.join(faultDir, 'calls.jsonl'), `${JSON.stringify(call)}\n`);
}

/** The real plugin's path: the first CNI_PATH dir holding it, else /usr/lib/cni. */
function findDelegate(type) {
  if (typeof type !== 'string' || type === '' || type.includes('/')) {
    throw new Error(`fault plugin: "delegateTo" must be a plugin name, got ${JSON.stringify(type)}`);
  }
  const self = fs.realpathSync(__filename);
  const dirs = [...(process.env.CNI_PATH || '').split(':').filter((d) => d !== ''), '/usr/lib/cni'];
  for (const dir of dirs) {
    const candidate = path.join(dir, type);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.realpathSync(candidate) !== self) return candidate;
    } catch {
      // not in this dir
    }
  }
  throw new Error(`fault plugin: delegate plugin ${JSON.stringify(type)} not found in CNI_PATH or /usr/lib/cni`);
}

/** Runs the real plugin with our env and stdin minus our own keys; returns how it ended. */
function runDelegate() {
  const forwarded = { ...conf, type: conf.delegateTo };
  for (const key of OWN_KEYS) delete forwarded[key];
  const child = spawnSync(findDelegate(conf.delegateTo), [], {
    input: JSON.stringify(forwarded),
    env: process.env,
    maxBuffer: 8 * 1024 * 1024,
  });
  if (child.error) throw child.error;
  return child;
}

function writeError(code, msg) {
  process.stdout.write(JSON.stringify({ cniVersion: version, code, msg }));
}

function hang(killParent) {
  const grandchild = spawn(process.execPath, [__filename, '--grandchild'], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (faultDir !== undefined)
    fs.writeFileSync(path.join(faultDir, `hang-${process.pid}.pids`), `${process.pid} ${grandchild.pid}\n`);
  if (killParent) process.kill(process.ppid, 'SIGKILL');
  setInterval(() => undefined, SLEEP_FOREVER_MS);
}

function actOut(f) {
  const code = typeof f.code === 'number' ? f.code : 999;
  const msg = typeof f.msg === 'string' ? f.msg : `fault plugin: injected ${f.do} on ${command}`;
  switch (f.do) {
    case 'fail':
      writeError(code, msg);
      process.exit(1);
      break;
    case 'error-exit0':
      writeError(code, msg);
      process.exit(0);
      break;
    case 'garbage':
      process.stdout.write('this is not JSON {');
      process.exit(0);
      break;
    case 'empty':
      process.exit(0);
      break;
    case 'unknown-version':
      process.stdout.write(JSON.stringify({ cniVersion: '9.9.9', interfaces: [{ name: ifname }], ips: [] }));
      process.exit(0);
      break;
    case 'die':
      process.kill(process.pid, f.signal || 'SIGKILL');
      // Signals that node handles itself would return here: wait for the kill to land.
      setInterval(() => undefined, SLEEP_FOREVER_MS);
      break;
    case 'hang':
      hang(false);
      break;
    case 'kill-parent-then-hang':
      hang(true);
      break;
    default:
      writeError(7, `fault plugin: unknown fault ${JSON.stringify(f.do)}`);
      process.exit(1);
  }
}

try {
  if (fault === undefined) {
    if (conf.delegateTo === undefined) {
      // Nothing to stand in for: answer like a plugin that made nothing.
      if (command === 'ADD') process.stdout.write(JSON.stringify({ cniVersion: version, interfaces: [], ips: [] }));
      process.exit(0);
    }
    const child = runDelegate();
    process.stdout.write(child.stdout);
    process.stderr.write(child.stderr);
    if (child.signal) process.kill(process.pid, child.signal);
    process.exitCode = child.status === null ? 1 : child.status;
  } else {
    if (fault.delegateFirst === true && conf.delegateTo !== undefined) {
      const child = runDelegate();
      if (child.status !== 0) {
        process.stdout.write(child.stdout);
        process.stderr.write(child.stderr);
        process.exit(child.status === null ? 1 : child.status);
      }
    }
    actOut(fault);
  }
} catch (err) {
  writeError(999, err instanceof Error ? err.message : String(err));
  process.exit(1);
}
