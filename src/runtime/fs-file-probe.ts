import { promises as fs } from 'node:fs';
import type { FileProbe } from '../core/ports/file-probe';

export class FsFileProbe implements FileProbe {
  async exists(path: string): Promise<boolean> {
    try {
      await fs.access(path);
      return true;
    } catch {
      return false;
    }
  }
}
