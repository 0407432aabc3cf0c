import type { Container } from 'inversify';
import { runSkel, type PluginHandlers } from '../../src/core/skel';
import { TOKENS } from '../../src/core/tokens';

export interface PluginRun {
  readonly code: number;
  readonly stdout: string;
  /** stdout parsed as JSON, or undefined when empty. */
  readonly json: Record<string, unknown> | undefined;
}

export interface RunOptions {
  readonly command: string;
  readonly config: unknown;
  readonly containerId?: string;
  readonly ifname?: string;
  readonly netns?: string;
  readonly args?: string;
  readonly path?: string;
  /** Raw stdin instead of JSON.stringify(config). */
  readonly stdin?: string;
  /** Stands for the process's SIGTERM signal. */
  readonly signal?: AbortSignal;
}

/** Runs the plugin skeleton in-process against a container, with the env as a Map (never process.env). */
export async function runPlugin(container: Container, options: RunOptions): Promise<PluginRun> {
  const env = new Map<string, string>([
    ['CNI_COMMAND', options.command],
    ['CNI_CONTAINERID', options.containerId ?? 'ctr1'],
    ['CNI_NETNS', options.netns ?? '/var/run/netns/test'],
    ['CNI_IFNAME', options.ifname ?? 'eth0'],
    ['CNI_PATH', options.path ?? '/opt/cni/bin'],
    ['CNI_ARGS', options.args ?? 'IgnoreUnknown=1;K8S_POD_NAMESPACE=ns1;K8S_POD_NAME=pod1'],
  ]);
  let stdout = '';
  const code = await runSkel(
    {
      env,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
      readStdin: () => Promise.resolve(options.stdin ?? JSON.stringify(options.config)),
      writeStdout: (t) => {
        stdout += t;
      },
    },
    () => Promise.resolve(container.get<PluginHandlers>(TOKENS.Plugin)),
  );
  return { code, stdout, json: stdout === '' ? undefined : (JSON.parse(stdout) as Record<string, unknown>) };
}
