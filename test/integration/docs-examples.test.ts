import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { assertIntegrationPrerequisites, MULTUS_BIN } from './support/run-multus';

/**
 * The examples of docs/errors.md and docs/cli.md are the output of real runs of the binary
 * (scripts/docs-examples.mjs). This fails, with the diff, when the binary and a page disagree:
 * rerun `npm run docs` and review the change.
 */
describe('docs examples', () => {
  beforeAll(() => assertIntegrationPrerequisites());

  it('docs/errors.md and docs/cli.md show what the binary prints', () => {
    const script = join(__dirname, '..', '..', 'scripts', 'docs-examples.mjs');
    const run = spawnSync(process.execPath, [script, '--check', '--bin', MULTUS_BIN], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    if (run.status !== 0) throw new Error(`docs-examples --check failed:\n${run.stdout}\n${run.stderr}`);
  }, 150_000);
});
