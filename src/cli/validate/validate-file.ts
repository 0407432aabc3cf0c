import type { Container } from 'inversify';
import { describeUnknownKey, unknownKeys } from '../../core/config/known-keys';
import { CniCode } from '../../core/errors';
import { checkConfig } from './config-checks';
import { readConfigFile, type ConfigFile } from './config-file';
import { offlineContainer } from './offline';
import { joinJsonPath, type Problem, type Warning } from './problem';

export interface ValidateOptions {
  readonly cniPath: readonly string[];
  readonly ifname: string;
  /** `--strict`: every warning (an unknown key) is a problem too. */
  readonly strict?: boolean;
  /** The container to take the adapters from; the production one (with nothing able to run) by default. */
  readonly container?: Container;
}

export interface ValidateReport {
  readonly file: string;
  readonly ok: boolean;
  readonly problems: readonly Problem[];
  /** What an ADD would not fail on but the operator should hear of (unknown keys); empty with `strict`. */
  readonly warnings: readonly Warning[];
  /** What was found, when ok: `3 delegates, master delegates[0] → eth0, ...`. */
  readonly summary: string;
}

/**
 * The multus config's keys that nothing reads, located in the file (under the multus plugin of
 * a conflist). Only the multus config's own keys: the conflist's are libcni's.
 */
export function unknownKeyWarnings(config: ConfigFile): Warning[] {
  return unknownKeys(config.raw).map((u) => ({
    path: joinJsonPath(config.pluginPath, u.path),
    message: describeUnknownKey(u),
  }));
}

/** Reads and checks one file; every problem found, in the order found, then the warnings. */
export async function validateFile(file: string, options: ValidateOptions): Promise<ValidateReport> {
  const read = await readConfigFile(file);
  if (!read.ok) return { file, ok: false, problems: read.problems, warnings: [], summary: '' };
  const container = options.container ?? offlineContainer();
  const report = await checkConfig(read.config, { container, cniPath: options.cniPath, ifname: options.ifname });
  const warnings = unknownKeyWarnings(read.config);
  const problems =
    options.strict === true
      ? [...report.problems, ...warnings.map((w) => ({ ...w, code: CniCode.InvalidConfig }))]
      : report.problems;
  return {
    file,
    ok: problems.length === 0,
    problems,
    warnings: options.strict === true ? [] : warnings,
    summary: report.summary,
  };
}
