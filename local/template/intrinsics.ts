import { TemplateError } from './emulations.js';

/** What a Ref or Fn::GetAtt of a resource is locally: its local name, URL or ARN. */
export interface ReferenceTable {
  ref(logicalId: string): string | undefined;
  getAtt(logicalId: string, attribute: string): string | undefined;
}

export const LOCAL_REGION = 'us-east-1';
/** moto's account: the ARNs it hands out name it, so references to them agree. */
export const LOCAL_ACCOUNT = '123456789012';

const PSEUDO: Record<string, string> = {
  'AWS::Region': LOCAL_REGION,
  'AWS::AccountId': LOCAL_ACCOUNT,
  'AWS::Partition': 'aws',
  'AWS::URLSuffix': 'amazonaws.com',
  'AWS::NoValue': '',
};

/**
 * Resolves CloudFormation's intrinsic functions in `value` against the local resources: Ref,
 * Fn::GetAtt, Fn::Join, Fn::Sub, Fn::Select and Fn::Split, and the pseudo parameters. Anything
 * else (Fn::If, Fn::ImportValue, a reference to a resource not emulated) is a TemplateError
 * naming where it is, never a silently wrong value.
 */
export function resolveIntrinsics(value: unknown, references: ReferenceTable, where: string): unknown {
  if (Array.isArray(value))
    return value.map((item, index) => resolveIntrinsics(item, references, `${where}[${index}]`));
  if (value === null || typeof value !== 'object') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [name, argument] = entries[0];
    const fail = (why: string): never => {
      throw new TemplateError(`${where}: ${name} ${why}`);
    };
    const text = (inner: unknown, at: string): string => {
      const resolved = resolveIntrinsics(inner, references, at);
      if (typeof resolved !== 'string' && typeof resolved !== 'number')
        fail(`needs text, got ${JSON.stringify(resolved)}`);
      return String(resolved);
    };
    switch (name) {
      case 'Ref': {
        const id = String(argument);
        if (id in PSEUDO) return PSEUDO[id];
        return references.ref(id) ?? fail(`${id}: the resource is not emulated locally, so nothing can stand for it`);
      }
      case 'Fn::GetAtt': {
        const [id, attribute] = Array.isArray(argument) ? argument : String(argument).split('.');
        return (
          references.getAtt(String(id), String(attribute)) ??
          fail(`${id}.${attribute}: not an attribute the local emulation of that resource has`)
        );
      }
      case 'Fn::Join': {
        const [separator, parts] = argument as [string, unknown[]];
        const list = resolveIntrinsics(parts, references, `${where}.Fn::Join`);
        if (!Array.isArray(list)) fail('needs a list');
        return (list as unknown[]).map((part, index) => text(part, `${where}.Fn::Join[${index}]`)).join(separator);
      }
      case 'Fn::Select': {
        const [index, list] = argument as [unknown, unknown];
        const items = resolveIntrinsics(list, references, `${where}.Fn::Select`);
        if (!Array.isArray(items)) fail('needs a list');
        return (items as unknown[])[Number(text(index, where))];
      }
      case 'Fn::Split': {
        const [separator, source] = argument as [string, unknown];
        return text(source, `${where}.Fn::Split`).split(separator);
      }
      case 'Fn::Sub': {
        const [template, variables] = Array.isArray(argument) ? argument : [argument, {}];
        return String(template).replace(/\$\{([^}!][^}]*)\}/g, (_, expression: string) => {
          if (variables && expression in (variables as object))
            return text((variables as Record<string, unknown>)[expression], `${where}.Fn::Sub.${expression}`);
          if (expression in PSEUDO) return PSEUDO[expression];
          const [id, attribute] = expression.split('.');
          const resolved = attribute ? references.getAtt(id, attribute) : references.ref(id);
          return resolved ?? fail(`\${${expression}}: not emulated locally`);
        });
      }
      default:
        if (name.startsWith('Fn::') || name === 'Condition') fail('is not resolved by the local stack');
    }
  }
  return Object.fromEntries(
    entries.map(([key, inner]) => [key, resolveIntrinsics(inner, references, `${where}.${key}`)]),
  );
}
