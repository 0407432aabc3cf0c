import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CliIo } from '../../../src/cli/cli-io';
import { useTempDir } from '../../support/temp-dir';

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
function pluginDirIn(root: string, name: string, types: readonly string[]): string {
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
function writeConfIn(root: string, name: string, conf: unknown): string {
  const file = join(root, name);
  writeFileSync(file, typeof conf === 'string' ? conf : JSON.stringify(conf, undefined, 2));
  return file;
}

/** The files a validate or explain run reads, under a temp root made fresh for each test and removed after it. */
export interface CliRoot {
  /** The current test's root dir. */
  readonly root: () => string;
  /** A plugin dir under the root holding stand-ins for `types`. */
  readonly pluginDir: (name: string, types: readonly string[]) => string;
  /** A config file under the root (a string as is, anything else as JSON); returns its path. */
  readonly write: (name: string, conf: unknown) => string;
}

/** Registers the per-test temp root (see useTempDir) of a validate or explain test file or block. */
export function useCliRoot(prefix: string): CliRoot {
  const root = useTempDir(prefix);
  return {
    root,
    pluginDir: (name, types) => pluginDirIn(root(), name, types),
    write: (name, conf) => writeConfIn(root(), name, conf),
  };
}

/** The seed README's three delegates with a bridge master (as the integration tests run them): eth0, net0, net1. */
export function seedConfig(): Record<string, unknown> {
  return {
    name: 'seed-a',
    type: 'multus',
    cniVersion: '0.4.0',
    delegates: [
      {
        name: 'seed-master',
        type: 'bridge',
        bridge: 'mbr0',
        isGateway: true,
        masterplugin: true,
        ipam: { type: 'host-local', subnet: '10.1.0.0/24' },
      },
      {
        type: 'ptp',
        ipam: { type: 'host-local', subnet: '10.1.1.0/24', routes: [{ dst: '0.0.0.0/0' }], gateway: '10.1.1.1' },
      },
      {
        type: 'bridge',
        bridge: 'mbr1',
        ipam: { type: 'host-local', subnet: '10.1.2.0/24', rangeStart: '10.1.2.10', rangeEnd: '10.1.2.20' },
      },
    ],
  };
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
