import { readFileSync, writeFileSync } from 'node:fs';

/**
 * net.ipv4.ip_forward is one value for the whole host, and the reference plugins turn it on
 * (ptp always, bridge with isGateway). Test files run in parallel workers, so the value is
 * saved once before any test runs (jest globalSetup) and written back once after all of them
 * (globalTeardown); both run in jest's parent process, which keeps the saved value.
 */
const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';
const saved = globalThis as { multusSavedIpForward?: string };

export function saveHostSysctls(): void {
  saved.multusSavedIpForward = readFileSync(IP_FORWARD, 'utf8').trim();
}

export function restoreHostSysctls(): void {
  if (saved.multusSavedIpForward !== undefined) writeFileSync(IP_FORWARD, `${saved.multusSavedIpForward}\n`);
}
