import { IsOptional } from 'class-validator';
import type { Executor } from '../core/ports/executor';
import { IsIntInRange, IsJsonBoolean } from './adapter-validators';
import { ExecAdapter } from './exec-adapter';

/** The ptp plugin's documented fields (containernetworking/plugins `plugins/main/ptp`). */
class PtpConfModel {
  @IsOptional()
  @IsJsonBoolean()
  ipMasq?: unknown;

  @IsOptional()
  @IsIntInRange(68, 65535)
  mtu?: unknown;
}

/**
 * Checks a ptp config up front. ptp always runs its IPAM plugin (a veth pair without an address
 * is useless), so `ipam` with a type is required here rather than failing inside the plugin.
 */
export class PtpAdapter extends ExecAdapter {
  constructor(executor: Executor) {
    super(executor, { name: 'ptp', priority: 10, types: ['ptp'], model: PtpConfModel, ipam: { required: true } });
  }
}
