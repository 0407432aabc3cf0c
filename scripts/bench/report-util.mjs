// Formatting shared by the report's sections: verdicts against a limit, MiB, min|median|max.
import { f1 } from './stats.mjs';

export const signed = (x) => (x >= 0 ? `+${f1(x)}` : `−${f1(-x)}`);
export const mib = (kb) => (kb === undefined || Number.isNaN(kb) ? '–' : (kb / 1024).toFixed(1));
export const mmm = (s) => (s === undefined ? '– | – | –' : `${f1(s.min)} | ${f1(s.median)} | ${f1(s.max)}`);

/** "met: 12.0 ≤ 15.0 (3.0 to spare)" or "missed by 4.0 (26.7 % over): 19.0 > 15.0"; `atLeast` flips it. */
export function verdict(value, limit, unit, digits = 1, { atLeast = false } = {}) {
  const fmt = (x) => x.toFixed(digits);
  if (value === undefined || Number.isNaN(value)) return { met: undefined, text: '**not measured**' };
  const ok = atLeast ? value >= limit : value <= limit;
  const [cmpOk, cmpBad] = atLeast ? ['≥', '<'] : ['≤', '>'];
  if (ok)
    return {
      met: true,
      text: `**met**: ${fmt(value)}${unit} ${cmpOk} ${fmt(limit)}${unit} (${fmt(Math.abs(limit - value))}${unit} to spare)`,
    };
  const pct = atLeast ? (1 - value / limit) * 100 : (value / limit - 1) * 100;
  return {
    met: false,
    text: `**missed** by ${fmt(Math.abs(value - limit))}${unit} (${pct.toFixed(1)} % ${atLeast ? 'short' : 'over'}): ${fmt(value)}${unit} ${cmpBad} ${fmt(limit)}${unit}`,
  };
}
