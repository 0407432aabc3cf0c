import { IsOptional } from 'class-validator';
import type { Executor } from '../core/ports/executor';
import { IsAbsolutePath, IsInterfaceName } from '../core/validators';
import { IsJsonObject, shown } from './adapter-validators';
import { ExecAdapter } from './exec-adapter';

/** The Intel vhost-user-net-plugin fields (`NetConf`: vhost, if0name, ipam). */
class VhostUserConfModel {
  @IsJsonObject({
    message: (args) =>
      args.value === undefined
        ? 'is required: the vhost-user settings, e.g. {"vhost_tool": "/usr/local/bin/vpp-config.py"}'
        : `must be a JSON object, got ${shown(args.value)}`,
  })
  vhost?: unknown;

  @IsOptional()
  @IsInterfaceName()
  if0name?: unknown;
}

class VhostModel {
  /** The script the plugin runs to create and delete the vhost-user port (e.g. vpp-config.py). */
  @IsAbsolutePath()
  vhost_tool!: unknown;
}

/**
 * Checks a vhost-user config: the plugin runs `vhost.vhost_tool` and its IPAM plugin on every
 * ADD, so both are required and reported with their paths before anything runs.
 */
export class VhostUserAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, {
      name: 'vhostuser',
      priority: 10,
      types: ['vhostuser'],
      model: VhostUserConfModel,
      nested: { vhost: VhostModel },
      ipam: { required: true },
    });
  }
}
