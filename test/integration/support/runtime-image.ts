import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  chmodSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

/**
 * A container image made without a registry: a root filesystem holding Debian's static busybox
 * (busybox-static) with one symlink per applet (`/bin/sh`, `/bin/ip`, `/bin/ping`, ...), as
 *
 * - a plain tar of that rootfs, which `podman import` turns into an image, and
 * - an OCI image layout archive (oci-layout, index.json, blobs/sha256/{layer, config,
 *   manifest}) built by hand around the same tar, which `ctr images import` accepts: ctr
 *   imports only OCI or docker archives, and nothing here can pull or save one.
 */

export const BUSYBOX = '/bin/busybox';

/** Builds the rootfs in `dir` (created); returns `dir`. */
export function buildBusyboxRootfs(dir: string): string {
  for (const sub of ['bin', 'etc', 'dev', 'proc', 'sys', 'tmp', 'root', 'run'])
    mkdirSync(join(dir, sub), { recursive: true });
  chmodSync(join(dir, 'tmp'), 0o1777);
  copyFileSync(BUSYBOX, join(dir, 'bin', 'busybox'));
  chmodSync(join(dir, 'bin', 'busybox'), 0o755);
  const applets = execFileSync(BUSYBOX, ['--list'], { encoding: 'utf8' })
    .split('\n')
    .filter((a) => a !== '' && a !== 'busybox' && !a.includes('/'));
  for (const applet of applets) symlinkSync('busybox', join(dir, 'bin', applet));
  writeFileSync(join(dir, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  writeFileSync(join(dir, 'etc', 'group'), 'root:x:0:\n');
  for (const needed of ['sh', 'ip', 'ping', 'sleep']) {
    if (!applets.includes(needed)) throw new Error(`${BUSYBOX} has no ${needed} applet`);
  }
  return dir;
}

/** A tar of `rootfs` (numeric owners, entries relative to the root) written to `out`. */
export function tarRootfs(rootfs: string, out: string): string {
  execFileSync('tar', ['--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', out, '.'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}

interface Blob {
  readonly digest: string;
  readonly size: number;
}

function sha256(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** The OCI architecture name of this machine (Node says x64, OCI says amd64). */
export function ociArch(): string {
  const map: Record<string, string> = {
    x64: 'amd64',
    arm64: 'arm64',
    arm: 'arm',
    ppc64: 'ppc64le',
    s390x: 's390x',
    riscv64: 'riscv64',
  };
  const arch = map[process.arch];
  if (arch === undefined) throw new Error(`no OCI architecture for ${process.arch}`);
  return arch;
}

/**
 * Wraps the rootfs tar `layerTar` into an OCI archive at `out` holding one image named `name`
 * (the `io.containerd.image.name` annotation ctr reads), whose default command is `cmd`.
 * `work` is a scratch dir for the layout.
 */
export function buildOciArchive(
  layerTar: string,
  name: string,
  cmd: readonly string[],
  work: string,
  out: string,
): string {
  const blobs = join(work, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const put = (data: Buffer): Blob => {
    const digest = sha256(data);
    writeFileSync(join(blobs, digest.slice('sha256:'.length)), data);
    return { digest, size: data.length };
  };
  const layerData = readFileSync(layerTar);
  const layer = put(layerData);
  const config = put(
    Buffer.from(
      JSON.stringify({
        architecture: ociArch(),
        os: 'linux',
        config: { Env: ['PATH=/bin'], Cmd: cmd, WorkingDir: '/' },
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
        layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
      }),
    ),
  );
  const tag = name.split(':').pop() ?? 'latest';
  writeFileSync(join(work, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(
    join(work, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          annotations: { 'io.containerd.image.name': name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    }),
  );
  const tmp = `${out}.tmp`;
  execFileSync(
    'tar',
    ['--numeric-owner', '--owner=0', '--group=0', '-C', work, '-cf', tmp, 'oci-layout', 'index.json', 'blobs'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  renameSync(tmp, out);
  if (statSync(out).size < layerData.length) throw new Error(`OCI archive ${out} is smaller than its layer`);
  return out;
}
