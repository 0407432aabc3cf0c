#!/usr/bin/env node
// A FAULTY-OUTPUT TEST PLUGIN, not a real CNI plugin: it creates nothing, allocates nothing and
// touches no network namespace. It exists so tests can make a delegate print exactly what they
// want (garbage, nothing, a result of an unknown version, an error JSON with exit status 0, a
// malformed result, ...) and check how multus reports it. Tests link it into a temp bin dir under
// any plugin name. Its config (stdin) drives it:
//
//   "printStdout":  a string printed on stdout exactly as given (no newline added);
//                   any other JSON value is printed as its JSON text
//   "stdoutRepeat": print printStdout this many times (default 1), to exceed size limits
//   "printStderr":  a string printed on stderr exactly as given
//   "exitCode":     the exit status (default 0)
//   "printOn":      the CNI commands that get the answer above (default ["ADD"]); any other
//                   command prints nothing and exits 0, like a plugin with nothing to undo
//   "callLog":      an absolute file path; each call appends "<CNI_COMMAND> <CNI_IFNAME>\n"
'use strict';
const fs = require('node:fs');

const command = process.env.CNI_COMMAND || '';
const ifname = process.env.CNI_IFNAME || '';
let conf = {};
try {
  conf = JSON.parse(fs.readFileSync(0, 'utf8'));
} catch {
  conf = {};
}

if (typeof conf.callLog === 'string' && conf.callLog.startsWith('/')) {
  fs.appendFileSync(conf.callLog, `${command} ${ifname}\n`);
}

const printOn = Array.isArray(conf.printOn) ? conf.printOn : ['ADD'];
if (!printOn.includes(command)) process.exit(0);

/** Writes all of `text` to `fd`, waiting out EAGAIN on a non-blocking pipe. */
function writeAll(fd, text) {
  let buffer = Buffer.from(text, 'utf8');
  while (buffer.length > 0) {
    try {
      buffer = buffer.subarray(fs.writeSync(fd, buffer));
    } catch (err) {
      if (err.code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

if (conf.printStdout !== undefined) {
  const text = typeof conf.printStdout === 'string' ? conf.printStdout : JSON.stringify(conf.printStdout);
  const times = Number.isInteger(conf.stdoutRepeat) && conf.stdoutRepeat > 0 ? conf.stdoutRepeat : 1;
  for (let i = 0; i < times; i += 1) writeAll(1, text);
}
if (typeof conf.printStderr === 'string') writeAll(2, conf.printStderr);
process.exit(Number.isInteger(conf.exitCode) ? conf.exitCode : 0);
