import type { Container } from 'inversify';
import { registerAdapter } from '../core/adapter-registry';
import { BridgeAdapter } from './bridge-adapter';
import { GenericExecAdapter } from './exec-adapter';
import { FlannelAdapter } from './flannel-adapter';
import { PtpAdapter } from './ptp-adapter';
import { SriovAdapter } from './sriov-adapter';
import { VhostUserAdapter } from './vhostuser-adapter';

/**
 * Registers the built-in adapters through the same public `registerAdapter` call a vendor uses,
 * so a vendor's adapter is a peer of these and a higher priority overrides them.
 */
export function registerBuiltinAdapters(container: Container): void {
  registerAdapter(container, (executor) => new GenericExecAdapter(executor));
  registerAdapter(container, (executor) => new BridgeAdapter(executor));
  registerAdapter(container, (executor) => new PtpAdapter(executor));
  registerAdapter(container, (executor) => new FlannelAdapter(executor));
  registerAdapter(container, (executor) => new SriovAdapter(executor));
  registerAdapter(container, (executor) => new VhostUserAdapter(executor));
}
