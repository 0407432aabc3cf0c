import type {
  AdapterApi,
  AdapterContext,
  ConfigProblem,
  DelegateConf,
  DelegateInvocation,
  Executor,
  VerifyContext,
} from '../../../src/index';
import { macvlanProblems, masterLinkProblem } from './macvlan-conf';

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
      const found = await this.executor.runTool('ip', ['-j', 'link', 'show', 'dev', master]).then(
        () => true,
        () => false,
      );
      if (found) return call;
      const { master: _master, mtu: _mtu, ...conf } = call.conf;
      return { ...call, conf };
    }

    /**
     * `ip -j link show dev <master>` through the executor (the multus process never enters a
     * namespace): on the host, or through nsenter in the pod's namespace for `linkInContainer`.
     * No `master`: the plugin picks the default route's interface itself.
     */
    private async checkMaster(conf: DelegateConf, netns: string): Promise<void> {
      const master = conf['master'];
      if (typeof master !== 'string') return;
      const inPod = conf['linkInContainer'] === true;
      const show = ['-j', 'link', 'show', 'dev', master];
      let output: string;
      try {
        output = inPod
          ? await this.executor.runTool('nsenter', [`--net=${netns}`, '--', 'ip', ...show])
          : await this.executor.runTool('ip', show);
      } catch (err) {
        const where = inPod ? "in the pod's network namespace" : 'on this host';
        const why = err instanceof api.CniError ? err.msg : String(err);
        throw new api.CniError(
          api.CniCode.InvalidConfig,
          `master "${master}" was not found ${where}; nothing was run`,
          { details: why, cause: err },
        );
      }
      const problem = masterLinkProblem(master, output, conf['mtu']);
      if (problem !== undefined) throw new api.CniError(api.CniCode.InvalidConfig, `${problem}; nothing was run`);
    }
  };
}
