import { promises as fs } from 'node:fs';
import { join } from 'node:path';
import { CniCode, CniError } from '../../core/errors';
import { isObject } from '../../core/json';
import type { DelegateConf } from '../../core/plan';

/** CNI config files on the node: NADs with an empty spec.config, and a clusterNetwork given as a path. */
export interface ConfDirReader {
  /** The config in `dir` whose `name` is `name` (.conf, .conflist, .json, in name order), or undefined. */
  findByName(dir: string, name: string): Promise<DelegateConf | undefined>;
  /** The config (a conf or a conflist) in one file; unreadable or invalid is code 7 naming the file. */
  readFile(path: string): Promise<DelegateConf>;
  /**
   * The paths of the CNI config files in `dir` (.conf, .conflist, .json) in name order, libcni's
   * ConfFiles order; undefined when the directory does not exist.
   */
  listFiles(dir: string): Promise<string[] | undefined>;
}

const CONFIG_FILE = /\.(conf|conflist|json)$/u;

/** Reads CNI config files from the node's disk. */
export class FileConfDir implements ConfDirReader {
  async findByName(dir: string, name: string): Promise<DelegateConf | undefined> {
    for (const file of (await this.listFiles(dir)) ?? []) {
      const conf = await this.readFile(file).catch(() => undefined);
      if (conf?.['name'] === name) return conf;
    }
    return undefined;
  }

  async listFiles(dir: string): Promise<string[] | undefined> {
    try {
      const names = (await fs.readdir(dir)).filter((f) => CONFIG_FILE.test(f)).sort();
      return names.map((f) => join(dir, f));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CniError(CniCode.IoFailure, `cannot read CNI config dir ${dir}: ${(err as Error).message}`);
    }
  }

  async readFile(path: string): Promise<DelegateConf> {
    let text: string;
    try {
      text = await fs.readFile(path, 'utf8');
    } catch (err) {
      throw new CniError(CniCode.InvalidConfig, `cannot read CNI config file ${path}: ${(err as Error).message}`);
    }
    let conf: unknown;
    try {
      conf = JSON.parse(text);
    } catch (err) {
      throw new CniError(CniCode.InvalidConfig, `CNI config file ${path} is not valid JSON: ${(err as Error).message}`);
    }
    if (!isObject(conf)) {
      throw new CniError(CniCode.InvalidConfig, `CNI config file ${path} must hold a JSON object`);
    }
    return conf;
  }
}
