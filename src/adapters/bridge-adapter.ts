import { IsOptional } from 'class-validator';
import type { Executor } from '../core/ports/executor';
import { IsInterfaceName } from '../core/validators';
import { IsIntInRange, IsJsonBoolean } from './adapter-validators';
import { ExecAdapter } from './exec-adapter';

/** The bridge plugin's documented fields (containernetworking/plugins `plugins/main/bridge`). */
class BridgeConfModel {
  @IsOptional()
  @IsInterfaceName()
  bridge?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  isGateway?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  isDefaultGateway?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  forceAddress?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  ipMasq?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  hairpinMode?: unknown;

  @IsOptional()
  @IsJsonBoolean()
  promiscMode?: unknown;

  /** 68 is IPv4's minimum MTU (RFC 791). */
  @IsOptional()
  @IsIntInRange(68, 65535)
  mtu?: unknown;

  /** 802.1Q ids; 0 means untagged, 4095 is reserved. */
  @IsOptional()
  @IsIntInRange(0, 4094)
  vlan?: unknown;
}

/**
 * Checks a bridge config before anything runs, so a typo in `ipam.subnet` is reported with its
 * JSON path instead of as the bridge plugin's error after other delegates were already added.
 * `"ipam": {}` is accepted: the plugin's documented L2-only mode.
 */
export class BridgeAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, {
      name: 'bridge',
      priority: 10,
      types: ['bridge'],
      model: BridgeConfModel,
      ipam: { allowEmpty: true },
    });
  }
}
