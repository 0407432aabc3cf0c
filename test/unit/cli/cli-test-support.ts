import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/cli-io';

/** CliIo over buffers: the command sees no process env and writes nowhere else. */
export function bufferIo(): CliIo & { stdout: () => string; stderr: () => string } {
  const out: string[] = [];
  const err: string[] = [];
  return {
    env: new Map(),
    out: (t) => void out.push(t),
    err: (t) => void err.push(t),
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}

/** A plugin dir (0755) under `root` with stand-ins for the binaries (never run: validate and explain run nothing). */
export function pluginDirIn(root: string, name: string, types: readonly string[]): string {
  const dir = join(root, name);
  mkdirSync(dir);
  chmodSync(dir, 0o755);
  for (const type of types) {
    writeFileSync(join(dir, type), '#!/bin/sh\nexit 99\n');
    chmodSync(join(dir, type), 0o755);
  }
  return dir;
}

/** A config file under `root`: a string as is, anything else as pretty JSON. */
export function writeConfIn(root: string, name: string, conf: unknown): string {
  const file = join(root, name);
  writeFileSync(file, typeof conf === 'string' ? conf : JSON.stringify(conf, undefined, 2));
  return file;
}

/** A kubeconfig an ADD can use (it is only read: no API is called), with a token user. */
export function kubeconfigText(server: string, insecure = false): string {
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    '- name: c',
    `  cluster: {server: "${server}"${insecure ? ', insecure-skip-tls-verify: true' : ''}}`,
    'users:',
    '- name: u',
    '  user: {token: t}',
    'contexts:',
    '- name: x',
    '  context: {cluster: c, user: u}',
    'current-context: x',
    '',
  ].join('\n');
}
