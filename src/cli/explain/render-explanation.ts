import type { AttachmentView, BinaryView, Explanation, PluginView, SelectionView } from './explain-plan';

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => `${by}${line}`)
    .join('\n');
}

function binary(b: BinaryView): string {
  return b.path ?? `MISSING (${b.problem ?? 'not found'})`;
}

function header(e: Explanation): string[] {
  const lines = [`${e.file}: the plan of an ADD (explain runs no plugin and touches no namespace)`];
  const where = e.multusPlugin === undefined ? '' : ` (${e.multusPlugin} of the conflist)`;
  if (e.name !== undefined)
    lines.push(`  config:   multus config "${e.name}"${where}, cniVersion ${e.cniVersion ?? '?'}`);
  if (e.kubeconfig !== undefined) lines.push(`  networks: from Kubernetes (kubeconfig ${e.kubeconfig}; not contacted)`);
  else if (e.source !== undefined) lines.push(`  networks: the config's delegates (${e.source} source)`);
  if (e.pod !== undefined) {
    const pod = e.pod.namespace === undefined ? e.pod.name : `${e.pod.namespace}/${e.pod.name}`;
    lines.push(`  pod:      ${pod}${e.pod.assumed ? ' (assumed: set it with --pod NAMESPACE/NAME)' : ''}`);
  }
  lines.push(`  CNI_IFNAME ${e.ifname}`);
  return lines;
}

function selectionLines(selections: readonly SelectionView[]): string[] {
  if (selections.length === 0) return [];
  const lines = ['', "selected by the pod's annotations:"];
  selections.forEach((s, i) => {
    const extras = [
      s.interface === undefined ? '' : `interface ${s.interface}`,
      s.runtimeConfig === undefined ? '' : `runtimeConfig ${JSON.stringify(s.runtimeConfig)}`,
      s.cniArgs === undefined ? '' : `cni-args ${JSON.stringify(s.cniArgs)}`,
      s.defaultRoute === undefined ? '' : `default-route ${JSON.stringify(s.defaultRoute)}`,
    ].filter((x) => x !== '');
    const role = s.annotation.endsWith('default-network') ? ' (replaces the cluster network: the master)' : '';
    lines.push(`  ${i + 1}. ${s.namespace}/${s.name}${role}${extras.length > 0 ? `: ${extras.join('; ')}` : ''}`);
    lines.push(`     from ${s.origin}`);
  });
  return lines;
}

function pluginLines(p: PluginView, i: number, count: number, auxiliary: boolean): string[] {
  const numbered = count > 1 ? `plugin ${i + 1}/${count}` : 'plugin';
  const by = p.adapterOrigin === 'built-in' ? '' : ` from ${p.adapterOrigin}`;
  const lines = [
    `  ${numbered}: type ${p.type} (${p.origin}), adapter ${p.adapter}${by}`,
    `    binary: ${binary(p.binary)}`,
  ];
  if (p.ipam !== undefined) lines.push(`    ipam:   ${p.ipam.type}, binary ${binary(p.ipam)}`);
  const prev = i === 0 && auxiliary ? "the master's result" : `the result of plugin ${i}`;
  lines.push(p.prevResult ? `    stdin (and "prevResult": ${prev}):` : '    stdin:');
  lines.push(indent(JSON.stringify(p.stdin, undefined, 2), '      '));
  return lines;
}

function attachmentLines(a: AttachmentView): string[] {
  const role = a.master ? ' (master)' : a.auxiliary ? ' (auxiliary CNI chain)' : '';
  const env = Object.entries(a.env)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const lines = ['', `attachment ${a.index}: network "${a.network}" → ${a.ifname}${role}`, `  from:  ${a.origin}`];
  if (a.statusName !== undefined) lines.push(`  status name: ${a.statusName}`);
  if (a.auxiliary)
    lines.push(
      "  chained plugins on the master's interface, after it; not in network-status, not the runtime's result",
    );
  if (a.defaultRoute !== undefined)
    lines.push(`  default route via ${a.defaultRoute.join(', ')} (set in the pod after every attachment is up)`);
  lines.push(`  env:   ${env}`, "         (CNI_CONTAINERID and CNI_NETNS: the runtime's)");
  a.plugins.forEach((p, i) => lines.push(...pluginLines(p, i, a.plugins.length, a.auxiliary)));
  return lines;
}

/** The explanation as text for a person. Problems are not included: see {@link renderProblems}. */
export function renderExplanation(e: Explanation): string {
  const lines = [...header(e), ...selectionLines(e.selections)];
  if (!e.complete) {
    lines.push('', 'resolving the networks needs the Kubernetes API, which explain does not call; it stopped at:');
    lines.push(...e.apiCalls.map((c) => `  ${c}`));
    lines.push('the attachments, their interface names and delegate configs depend on what the API returns.');
  }
  for (const a of e.attachments) lines.push(...attachmentLines(a));
  if (e.result !== undefined) lines.push('', `result: ${e.result}`);
  for (const note of e.notes) lines.push(`note: ${note}`);
  return `${lines.join('\n')}\n`;
}

/** Why no plan could be made, one problem a line, as `multus validate` prints them. */
export function renderProblems(e: Explanation): string {
  return e.problems.map((p) => `${e.file}: ${p.path}: ${p.message}\n`).join('');
}
