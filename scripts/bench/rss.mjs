// Peak RSS of single calls with GNU time (`%M`: the largest resident set of the process and of
// the children it waited for), every entry once per round.
import { existsSync, readFileSync } from 'node:fs';
import { tick, timed } from './proc.mjs';
import { stats } from './stats.mjs';

export const TIME = '/usr/bin/time';

/** `bin` under /usr/bin/time; returns its peak RSS in kB. */
export function withTime(out) {
  return (bin, env, stdin) => {
    timed(TIME, env, stdin, ['-f', '%M', '-o', out, bin]);
    return Number(readFileSync(out, 'utf8').trim().split('\n').pop());
  };
}

/** An entry measuring a pod's ADD (then its DEL, unmeasured). */
export const addEntry = (pod, label, exec, id = pod.id) => ({
  id,
  label,
  run: () => {
    const kb = pod.add(exec);
    pod.del();
    return kb;
  },
});

/** entries: [{id, label, run() → kB}]; returns {id: {label, kb: stats, samples}} or undefined without GNU time. */
export async function peakRss(entries, runs) {
  if (!existsSync(TIME)) return undefined;
  const kb = Object.fromEntries(entries.map((e) => [e.id, []]));
  for (let r = 0; r < runs; r += 1) {
    for (const e of entries) {
      kb[e.id].push(e.run());
      await tick();
    }
  }
  return Object.fromEntries(entries.map((e) => [e.id, { label: e.label, kb: stats(kb[e.id]), samples: kb[e.id] }]));
}
