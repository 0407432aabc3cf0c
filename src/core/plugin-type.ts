/**
 * Why `type` is not a plain plugin name, or undefined when it is. A delegate's `type` comes from
 * a config file or a Kubernetes object; joined onto a bin dir, a separator or `..` would let it
 * name any binary on the host, so only a bare file name is accepted. Checked when the plan is
 * prepared (before anything runs) and again by the executor (defence in depth).
 */
export function pluginTypeProblem(type: string): string | undefined {
  if (type === '') return 'must not be empty';
  if (type === '.' || type === '..' || type.includes('..')) return "must not be '.' or contain '..'";
  if (/[/\\\0]/u.test(type)) return "must not contain '/', '\\' or NUL";
  return undefined;
}
