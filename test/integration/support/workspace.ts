import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { isIP } from 'node:net';
import { Cleanup, expectClean } from './cleanup';
import { assertIntegrationPrerequisites } from './run-multus';

/**
 * Per-file names and dirs. Test files run in parallel (jest maxWorkers 2), so each file picks a
 * two-letter tag and its own 10.x subnets; the worker's pid makes names unique across workers
 * and leftover runs. Link names stay within 15 bytes: tag (2) + pid (≤ 7) + suffix (≤ 4).
 */
export interface Workspace {
  /** Prefix for netns, bridge and veth names, e.g. `sp12345`. */
  readonly prefix: string;
  /** Temp dir removed at cleanup. */
  readonly dir: string;
  /** multus `cniDir` (the cache) inside `dir`. */
  readonly cniDir: string;
  /** host-local `dataDir` inside `dir`, so leases can be listed and are never the system's. */
  readonly ipamDir: string;
}

export function createWorkspace(tag: string, cleanup: Cleanup): Workspace {
  if (!/^[a-z]{2}$/u.test(tag)) throw new Error(`workspace tag must be two lowercase letters, got ${tag}`);
  const dir = mkdtempSync(join(tmpdir(), `multus-it-${tag}-`));
  cleanup.dir(dir);
  return { prefix: `${tag}${process.pid}`, dir, cniDir: join(dir, 'cache'), ipamDir: join(dir, 'ipam') };
}

/** A test file's workspace and its two cleanups, as {@link useWorkspace} registers them. */
export interface WorkspaceFixture {
  /** Filled in by the file's first beforeAll (an empty object before it): read it in hooks and tests. */
  readonly ws: Workspace;
  /** Undone after each test, even a failing one; a leak fails the afterEach. */
  readonly cleanup: Cleanup;
  /** Undone after the file (the workspace dir is its first step, so removed last). */
  readonly perFile: Cleanup;
}

export interface WorkspaceOptions {
  /** What must hold before anything is made (default {@link assertIntegrationPrerequisites}). */
  readonly prerequisites?: () => void;
  /** The beforeAll's timeout, when the prerequisites take longer than a test. */
  readonly timeoutMs?: number;
}

/**
 * The hooks every integration file starts with, in one place: beforeAll checks the prerequisites
 * and makes the workspace, afterEach undoes `cleanup`, afterAll undoes `perFile`. Call it first
 * in the describe, so the file's own beforeAll (declared after it) finds `ws` filled in.
 */
export function useWorkspace(tag: string, options: WorkspaceOptions = {}): WorkspaceFixture {
  const fixture = { ws: {} as Workspace, cleanup: new Cleanup(), perFile: new Cleanup() };
  const prerequisites = options.prerequisites ?? assertIntegrationPrerequisites;
  beforeAll(() => {
    prerequisites();
    Object.assign(fixture.ws, createWorkspace(tag, fixture.perFile));
  }, options.timeoutMs);
  afterEach(() => expectClean(fixture.cleanup.runAll()));
  afterAll(() => expectClean(fixture.perFile.runAll()));
  return fixture;
}

/** Files under `dir` named like an IP address: host-local's leases (one file per allocated address). */
export function leaseFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const path = join(dir, entry);
    if (isIP(basename(entry)) !== 0 && statSync(path).isFile()) found.push(entry);
  }
  return found.sort();
}

/** Every file in the cache dir (multus writes `<containerId>-<ifname>.json`, temp files beside them). */
/**
 * The files in a cni dir but the plugin VERSION answers multus keeps there for the node (not a
 * container's state: they stay after the last DEL by design).
 */
export function cacheFiles(cniDir: string): string[] {
  return existsSync(cniDir)
    ? readdirSync(cniDir)
        .filter((f) => f !== 'plugin-versions.json')
        .sort()
    : [];
}

export function cacheFile(cniDir: string, containerId: string, ifname = 'eth0'): string {
  return join(cniDir, `${containerId}-${ifname}.json`);
}
