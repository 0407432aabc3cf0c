import { execFileSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';

interface Step {
  readonly label: string;
  readonly undo: () => void;
}

/**
 * What a test file created on the host (network namespaces, links, temp dirs, sysctls), undone
 * in reverse order by `runAll()` from an afterEach/afterAll, so a failing test leaves nothing
 * behind either. Every undo step runs even when an earlier one fails; failures are returned,
 * not thrown, because a missing object (already deleted by the test) is the normal case.
 */
export class Cleanup {
  private steps: Step[] = [];

  add(label: string, undo: () => void): void {
    this.steps.push({ label, undo });
  }

  /** `ip netns del NAME` (the namespace's links go with it). */
  netns(name: string): void {
    this.add(`netns ${name}`, () => quietIp(['netns', 'del', name]));
  }

  /** `ip link del NAME` on the host: bridges (the bridge plugin never deletes them) and veths. */
  link(name: string): void {
    this.add(`link ${name}`, () => quietIp(['link', 'del', name]));
  }

  dir(path: string): void {
    this.add(`dir ${path}`, () => rmSync(path, { recursive: true, force: true }));
  }

  /** Undoes everything registered so far, newest first; returns what could not be undone. */
  runAll(): string[] {
    const problems: string[] = [];
    const steps = this.steps.reverse();
    this.steps = [];
    for (const step of steps) {
      try {
        step.undo();
      } catch (err) {
        problems.push(`${step.label}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    return problems;
  }
}

/** Runs `ip ARGS`, ignoring "does not exist" failures (the object may already be gone). */
function quietIp(args: string[]): void {
  if (args[0] === 'netns' && !existsSync(`/run/netns/${args[2] ?? ''}`)) return;
  try {
    execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (err) {
    const stderr = String((err as { stderr?: Buffer }).stderr ?? '');
    if (/Cannot find device|does not exist|No such file/u.test(stderr)) return;
    throw new Error(`ip ${args.join(' ')}: ${stderr.trim()}`);
  }
}

/** Fails the hook when some cleanup step could not be undone (so a leak is never silent). */
export function expectClean(problems: readonly string[]): void {
  if (problems.length > 0) throw new Error(`cleanup failed:\n- ${problems.join('\n- ')}`);
}
