/**
 * Resolves the CloudFormation intrinsics a synthesized environment variable can hold (`Ref`, `Fn::GetAtt`,
 * `Fn::Join`, `Fn::Select`/`Fn::Split` of an ARN) into stand-in strings, so that the runtime's reader can be fed the
 * value a deployed function would see, with each reference replaced by a readable placeholder.
 */
export function resolveIntrinsics(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(resolveIntrinsics);
  if (value === null || typeof value !== 'object') return value;
  const node = value as Record<string, any>;
  if ('Ref' in node) return `ref:${node.Ref}`;
  if ('Fn::GetAtt' in node) return `getatt:${[].concat(node['Fn::GetAtt']).join('.')}`;
  if ('Fn::Join' in node) {
    const [separator, parts] = node['Fn::Join'];
    return (parts as unknown[]).map((p) => String(resolveIntrinsics(p))).join(separator);
  }
  if ('Fn::Select' in node) {
    const [index, list] = node['Fn::Select'];
    const items = resolveIntrinsics(list);
    return Array.isArray(items) ? items[index] : `select:${index}`;
  }
  if ('Fn::Split' in node) {
    const [separator, source] = node['Fn::Split'];
    return String(resolveIntrinsics(source)).split(separator);
  }
  return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, resolveIntrinsics(v)]));
}
