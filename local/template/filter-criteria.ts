import { unsupportedValue } from './emulations.js';

/** An event source mapping's FilterCriteria, compiled: does a record pass (any filter matching)? */
export type RecordFilter = (record: object) => boolean;

type Matcher = (value: unknown, present: boolean) => boolean;

/**
 * Lambda event filtering (https://docs.aws.amazon.com/lambda/latest/dg/invocation-eventfiltering.html):
 * a record passes if any filter's pattern matches it. A pattern's keys are fields of the record;
 * its leaves are lists of values or operators, any of which may match (equality, prefix, suffix,
 * equals-ignore-case, anything-but, exists, numeric). For SQS a JSON body is matched as JSON.
 * An operator not listed here is an UnsupportedResourceError at start, never a silent pass.
 */
export function compileFilterCriteria(
  criteria: { Filters?: { Pattern?: string }[] } | undefined,
  where: string,
): RecordFilter | undefined {
  const filters = criteria?.Filters ?? [];
  if (filters.length === 0) return undefined;
  const patterns = filters.map((filter, index) => {
    let pattern: unknown;
    try {
      pattern = JSON.parse(filter.Pattern ?? '');
    } catch {
      unsupportedValue(where, 'AWS::Lambda::EventSourceMapping', `FilterCriteria.Filters[${index}]`, 'not valid JSON');
    }
    return compileObject(pattern as Record<string, unknown>, where);
  });
  return (record) => {
    const view = viewOf(record);
    return patterns.some((matches) => matches(view));
  };
}

/** SQS bodies that are JSON objects are filtered as JSON, as Lambda does; others as plain text. */
function viewOf(record: object): Record<string, unknown> {
  const body = (record as { body?: unknown }).body;
  if (typeof body !== 'string') return record as Record<string, unknown>;
  try {
    const parsed = JSON.parse(body);
    return { ...record, body: parsed };
  } catch {
    return record as Record<string, unknown>;
  }
}

function compileObject(pattern: Record<string, unknown>, where: string): (value: unknown) => boolean {
  if (pattern === null || typeof pattern !== 'object' || Array.isArray(pattern))
    unsupportedValue(where, 'AWS::Lambda::EventSourceMapping', 'FilterCriteria', 'a pattern must be a JSON object');
  const fields = Object.entries(pattern).map(([key, inner]) => {
    if (Array.isArray(inner)) {
      const matchers = inner.map((item) => compileMatcher(item, where));
      return (value: unknown) => {
        const object = value as Record<string, unknown> | undefined;
        const present = !!object && typeof object === 'object' && key in object;
        const field = present ? object[key] : undefined;
        const candidates = Array.isArray(field) ? field : [field];
        return matchers.some((matcher) => candidates.some((candidate) => matcher(candidate, present)));
      };
    }
    const nested = compileObject(inner as Record<string, unknown>, where);
    return (value: unknown) => {
      const field = (value as Record<string, unknown> | undefined)?.[key];
      return field !== null && typeof field === 'object' && nested(field);
    };
  });
  return (value) => fields.every((matches) => matches(value));
}

function compileMatcher(item: unknown, where: string): Matcher {
  if (item === null || typeof item !== 'object')
    return (value, present) => present && value === item && (typeof value !== 'object' || value === null);
  const [[operator, argument]] = Object.entries(item as Record<string, unknown>);
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  switch (operator) {
    case 'prefix':
      return (value) => text(value)?.startsWith(String(argument)) ?? false;
    case 'suffix':
      return (value) => text(value)?.endsWith(String(argument)) ?? false;
    case 'equals-ignore-case':
      return (value) => text(value)?.toLowerCase() === String(argument).toLowerCase();
    case 'exists':
      return (_, present) => present === argument;
    case 'anything-but': {
      const excluded = Array.isArray(argument) ? argument : [argument];
      return (value, present) => present && !excluded.includes(value as never);
    }
    case 'numeric': {
      const terms = argument as (string | number)[];
      return (value) => {
        if (typeof value !== 'number') return false;
        for (let index = 0; index < terms.length; index += 2) {
          const [op, bound] = [terms[index], Number(terms[index + 1])];
          const ok =
            op === '='
              ? value === bound
              : op === '<'
                ? value < bound
                : op === '<='
                  ? value <= bound
                  : op === '>'
                    ? value > bound
                    : op === '>='
                      ? value >= bound
                      : unsupportedValue(
                          where,
                          'AWS::Lambda::EventSourceMapping',
                          'FilterCriteria',
                          `numeric operator ${op}`,
                        );
          if (!ok) return false;
        }
        return true;
      };
    }
    default:
      return unsupportedValue(
        where,
        'AWS::Lambda::EventSourceMapping',
        'FilterCriteria',
        `the filter operator "${operator}" is not emulated locally`,
      );
  }
}
