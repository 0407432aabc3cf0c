import type {
  AdapterApi,
  AdapterContext,
  ConfigProblem,
  DelegateConf,
  DelegateInvocation,
  Executor,
  VerifyContext,
} from '../../../src/index';
import { ipLinkMtu, macvlanProblems, masterLinkProblem } from './macvlan-conf';

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}

/** A master looked for: there (with its mtu when known), or not (with why, when the lookup failed). */
type MasterLookup = { exists: true; mtu: number | undefined } | { exists: false; cause?: unknown };

/**
 * Makes the macvlan adapter class from the adapter API. The base class comes from the API
 * (not an import of multus-ts), so this package has no run-time dependency on multus: the same
 * code is compiled into the binary (package.json "multusAdapters") or loaded from `adapterDirs`,
 * and it cannot form an import cycle with the binary that registers it.
 */
export function macvlanAdapterClass(api: AdapterApi) {
  /**
   * Checks a macvlan config before anything runs: its fields (prepare) and that its master
   * exists on the host (verify: the host check needs the executor; multus runs every
   * delegate's verify before the first delegate, so a missing master creates nothing). A
   * master inside the pod (`linkInContainer`) is looked for right before the plugin runs, since
   * an earlier delegate may create it. DEL must succeed even when the master is already gone (the kernel
   * then removed the macvlan with it): macvlan plugins before v1.4.0 fail that DEL with "Link
   * not found" while checking the master (containernetworking/plugins#953), leaving the pod
   * stuck and its address leased, so the DEL they get has no `master` and no `mtu` then.
   */
  return class MacvlanAdapter extends api.ExecAdapter {
    constructor(executor: Executor) {
      super(executor, { name: 'macvlan', priority: 10, types: ['macvlan'] });
    }

    protected override validate(conf: DelegateConf, context: AdapterContext): ConfigProblem[] {
      return [...super.validate(conf, context), ...macvlanProblems(conf, context.origin, api)];
    }

    /** A master on the host must exist before anything runs, unless an earlier delegate of this ADD makes it. */
    override async verify(conf: DelegateConf, context: VerifyContext): Promise<void> {
      if (conf['linkInContainer'] === true || context.madeEarlier.includes(String(conf['master']))) return;
      await this.checkMaster(conf, context.netns);
    }

    /**
     * A master in the pod may be made by an earlier delegate of this ADD: it is looked for right before the plugin
     * runs.
     */
    override async add(call: DelegateInvocation): Promise<unknown> {
      if (call.conf['linkInContainer'] === true) await this.checkMaster(call.conf, call.env.CNI_NETNS);
      return super.add(call);
    }

    override async del(call: DelegateInvocation): Promise<void> {
      await super.del(await this.withoutMissingMaster(call));
    }

    /**
     * The DEL call, without `master` and `mtu` when the host has no such link: the plugin then
     * checks the default route's interface instead, and its DEL (release the address, delete
     * the pod's link if still there) needs neither field.
     */
    private async withoutMissingMaster(call: DelegateInvocation): Promise<DelegateInvocation> {
      const master = call.conf['master'];
      if (typeof master !== 'string' || call.conf['linkInContainer'] === true) return call;
      if ((await this.onHost(master)).exists) return call;
      const { master: _master, mtu: _mtu, ...conf } = call.conf;
      return { ...call, conf };
    }

    /**
     * The master, and its mtu against the config's: on the host through the executor's host-link
     * lookup (sysfs, no process), or for `linkInContainer` with `ip -j link show dev <master>`
     * through nsenter in the pod's namespace (the multus process never enters a namespace).
     * No `master`: the plugin picks the default route's interface itself.
     */
    private async checkMaster(conf: DelegateConf, netns: string): Promise<void> {
      const master = conf['master'];
      if (typeof master !== 'string') return;
      const inPod = conf['linkInContainer'] === true;
      const found = await (inPod ? this.inPod(master, netns) : this.onHost(master));
      if (!found.exists) {
        const where = inPod ? "in the pod's network namespace" : 'on this host';
        const { cause } = found;
        const why = cause === undefined ? undefined : cause instanceof api.CniError ? cause.msg : errorText(cause);
        throw new api.CniError(
          api.CniCode.InvalidConfig,
          `master "${master}" was not found ${where}; nothing was run`,
          {
            ...(why === undefined ? {} : { details: why }),
            cause,
          },
        );
      }
      const problem = masterLinkProblem(master, found.mtu, conf['mtu']);
      if (problem !== undefined) throw new api.CniError(api.CniCode.InvalidConfig, `${problem}; nothing was run`);
    }

    private onHost(master: string): Promise<MasterLookup> {
      return this.executor.hostLink(master).then(
        (link): MasterLookup => (link === undefined ? { exists: false } : { exists: true, mtu: link.mtu }),
        (cause: unknown): MasterLookup => ({ exists: false, cause }),
      );
    }

    private inPod(master: string, netns: string): Promise<MasterLookup> {
      const show = ['nsenter', `--net=${netns}`, '--', 'ip', '-j', 'link', 'show', 'dev', master] as const;
      return this.executor.runTool(show[0], show.slice(1)).then(
        (output): MasterLookup => ({ exists: true, mtu: ipLinkMtu(output) }),
        (cause: unknown): MasterLookup => ({ exists: false, cause }),
      );
    }
  };
}
