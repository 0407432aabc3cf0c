import { interfaceNameProblem } from './cni-env';
import { CniCode, CniError } from './errors';
import type { Attachment } from './plan';

/**
 * The index of the master attachment: the one marked master; none marked → the first that is not
 * the auxiliary chain (Go Multus v4); several marked → code 7 naming them.
 */
export function selectMaster(attachments: readonly Attachment[]): number {
  const first = attachments.findIndex((a) => a.auxiliary !== true);
  const marked = attachments.flatMap((a, i) => (a.master ? [i] : []));
  if (marked.length > 1) {
    const where = marked.map((i) => attachments[i]?.origin).join(', ');
    throw new CniError(
      CniCode.InvalidConfig,
      `${where} are all marked master; exactly one attachment may be the master`,
    );
  }
  return marked[0] ?? Math.max(first, 0);
}

/**
 * Interface names, in attachment order: the master gets the pod's CNI_IFNAME, an explicit name
 * from the selection is kept, the others get `net<N>` counting from `indexFrom` (0 is the seed's
 * net0, net1, ...; 1 is Go Multus v3+), skipping names already taken. Any invalid or repeated
 * name is code 7, raised before anything runs. The auxiliary chain acts on the master's interface:
 * it gets the pod's CNI_IFNAME too, takes no `net<N>` and is left out of the duplicate check.
 */
export function assignInterfaceNames(
  attachments: readonly Attachment[],
  masterIndex: number,
  podIfname: string,
  indexFrom: number,
): string[] {
  const explicit = new Set(
    attachments.flatMap((a, i) =>
      i !== masterIndex && a.auxiliary !== true && a.ifname !== undefined ? [a.ifname] : [],
    ),
  );
  let counter = indexFrom;
  const nextAuto = (): string => {
    while (explicit.has(`net${counter}`) || podIfname === `net${counter}`) counter += 1;
    const name = `net${counter}`;
    counter += 1;
    return name;
  };
  const names = attachments.map((a, i) => {
    if (i === masterIndex || a.auxiliary === true) return podIfname;
    return a.ifname ?? nextAuto();
  });
  checkNames(attachments, names);
  return names;
}

function checkNames(attachments: readonly Attachment[], names: readonly string[]): void {
  const seen = new Map<string, string>();
  names.forEach((name, i) => {
    if (attachments[i]?.auxiliary === true) return;
    const origin = attachments[i]?.origin ?? `attachment ${i}`;
    const problem = interfaceNameProblem(name);
    if (problem !== undefined) throw new CniError(CniCode.InvalidConfig, `${origin}: interface name ${problem}`);
    const other = seen.get(name);
    if (other !== undefined) {
      throw new CniError(CniCode.InvalidConfig, `${other} and ${origin} both want interface "${name}" in the pod`);
    }
    seen.set(name, origin);
  });
}
