import { isObject } from './json';
import type { DelegateConf } from './plan';

/**
 * The config key each device-taking plugin reads its device from: sriov-cni reads the VF's PCI
 * address from `deviceID`, the reference host-device plugin from `pciBusID`. Go Multus writes
 * the device into the delegate's config (types/conf.go `delegateAddDeviceID`,
 * `addDeviceIDInConfList`) rather than only into runtimeConfig, because neither plugin declares
 * the `deviceID` capability in the configs device plugins' users write.
 */
export const DEVICE_ID_KEYS: Readonly<Record<string, string>> = {
  sriov: 'deviceID',
  'host-device': 'pciBusID',
};

/** One plugin's config with the device set under its type's key; other types are returned as they are. */
function withPluginDeviceId(
  plugin: Readonly<Record<string, unknown>>,
  deviceId: string,
): Readonly<Record<string, unknown>> {
  const key = typeof plugin['type'] === 'string' ? DEVICE_ID_KEYS[plugin['type']] : undefined;
  if (key === undefined) return plugin;
  // The plugins decode JSON case-insensitively (Go), so a `deviceid` already in the config would
  // compete with ours: every spelling of the key is replaced.
  const lower = key.toLowerCase();
  const rest = Object.entries(plugin).filter(([k]) => k.toLowerCase() !== lower);
  return { ...Object.fromEntries(rest), [key]: deviceId };
}

/**
 * The delegate config with `deviceId` written where its plugins read it: `deviceID` on every
 * sriov plugin, `pciBusID` on every host-device plugin, in a single config or in each plugin of
 * a conflist. Nothing else changes, and the input is not modified; a conflist whose `plugins` is
 * malformed is returned as it is (the planner reports that).
 */
export function withDeviceId(conf: DelegateConf, deviceId: string): DelegateConf {
  const plugins = conf['plugins'];
  if (plugins === undefined) return withPluginDeviceId(conf, deviceId);
  if (!Array.isArray(plugins)) return conf;
  return { ...conf, plugins: plugins.map((p: unknown) => (isObject(p) ? withPluginDeviceId(p, deviceId) : p)) };
}
