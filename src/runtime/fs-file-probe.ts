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

  async sameFile(a: string, b: string): Promise<boolean> {
    try {
      const [sa, sb] = await Promise.all([fs.stat(a), fs.stat(b)]);
      return sa.dev === sb.dev && sa.ino === sb.ino;
    } catch {
      return false;
    }
  }
}
