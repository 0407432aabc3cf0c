import { saveHostSysctls } from './host-sysctls';

export default function globalSetup(): void {
  saveHostSysctls();
}
