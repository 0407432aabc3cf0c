import { IsOptional } from 'class-validator';
import type { DelegateConf } from '../core/plan';
import type { AdapterContext } from '../core/ports/delegate-adapter';
import type { Executor } from '../core/ports/executor';
import { joinPath, type ConfigProblem } from '../core/validation';
import { IsAbsolutePath, IsInterfaceName, IsNonEmptyString } from '../core/validators';
import { IsIntInRange, IsJsonBoolean, IsJsonObject, isPciAddress, nestedProblems, shown } from './adapter-validators';
import { ExecAdapter } from './exec-adapter';

/** The seed-era Intel sriov-cni fields (github.com/intel/sriov-cni, 2018, `NetConf`). */
class SriovConfModel {
  /** The PF on the host whose VF is given to the pod. */
  @IsOptional()
  @IsInterfaceName()
  if0?: unknown;

  /** The VF's name inside the pod. */
  @IsOptional()
  @IsInterfaceName()
  if0name?: unknown;

  @IsOptional()
  @IsIntInRange(0, Number.MAX_SAFE_INTEGER)
  vf?: unknown;

  @IsOptional()
  @IsIntInRange(0, 4094)
  vlan?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  l2enable?: unknown;

  @IsOptional()
  @IsJsonObject()
  dpdk?: unknown;
}

/** `dpdk`: the plugin's README lists all three as required when the section is given. */
class DpdkModel {
  @IsNonEmptyString()
  kernel_driver!: unknown;

  @IsNonEmptyString()
  dpdk_driver!: unknown;

  @IsAbsolutePath()
  dpdk_tool!: unknown;
}

/**
 * The key naming the VF's PCI address. The plugin's Go struct tag is `deviceid` and Go's JSON
 * decoder matches keys case-insensitively, so `deviceID` (what device plugins write) works too.
 */
function deviceIdKey(conf: DelegateConf): string | undefined {
  return Object.keys(conf).find((k) => k.toLowerCase() === 'deviceid');
}

function deviceProblems(conf: DelegateConf, origin: string): ConfigProblem[] {
  const key = deviceIdKey(conf);
  if (key === undefined) {
    if (conf['if0'] !== undefined) return [];
    return [
      {
        path: origin === '' ? '(config)' : origin,
        message: 'needs "if0" (the PF to take a VF from) or "deviceID" (the VF\'s PCI address)',
      },
    ];
  }
  const value = conf[key];
  if (isPciAddress(value)) return [];
  return [{ path: joinPath(origin, key), message: `must be a PCI address such as 0000:03:02.3, got ${shown(value)}` }];
}

/**
 * Checks an SR-IOV config: the PF or VF it names, the VLAN and the DPDK section, so a missing
 * `if0` is reported before earlier delegates are added and rolled back again.
 */
export class SriovAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, { name: 'sriov', priority: 10, types: ['sriov'], model: SriovConfModel });
  }

  protected override validate(conf: DelegateConf, context: AdapterContext): ConfigProblem[] {
    return [
      ...super.validate(conf, context),
      ...deviceProblems(conf, context.origin),
      ...nestedProblems(DpdkModel, conf['dpdk'], joinPath(context.origin, 'dpdk')),
    ];
  }
}
