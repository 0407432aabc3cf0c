import { restoreHostSysctls } from './host-sysctls';

export default function globalTeardown(): void {
  restoreHostSysctls();
}
