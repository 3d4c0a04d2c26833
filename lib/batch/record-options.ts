import type { Context } from 'aws-lambda';
import type { OptionChecks } from '../shared/options.js';
import type { StandardSchemaV1 } from '../shared/schema.js';
import type { RecordRunSettings } from './record-run.js';

/**
 * The options every batch handler takes (SQS, Kinesis, DynamoDB Streams), by shape: each public
 * options type documents them for its own source, and this is how they are checked, once.
 */
export type BatchRecordOptions<Rec, R, P, O> = Pick<RecordRunSettings<Rec, R, P>, 'store' | 'handler'> &
  Partial<Pick<RecordRunSettings<Rec, R, P>, 'key' | 'fingerprint' | 'payload'>> & {
    schema?: StandardSchemaV1<unknown, P>;
    timeMarginMs?: number;
    onOutcome?: (outcome: O, context: Context) => void | Promise<void>;
  };

/** The options resolved: the source's defaults filled in, each checked. */
export type BatchRecordSettings<Rec, R, P, O> = RecordRunSettings<Rec, R, P> &
  Pick<BatchRecordOptions<Rec, R, P, O>, 'schema' | 'timeMarginMs' | 'onOutcome'>;

/**
 * Checks the options all batch handlers share, with `check` (which names the factory), and fills
 * in the source's default key and payload. A source's own options are checked by its factory.
 */
export function resolveBatchRecordOptions<Rec, R, P, O>(
  check: OptionChecks,
  options: BatchRecordOptions<Rec, R, P, O>,
  defaults: { key: (record: Rec) => unknown; payload: (record: Rec) => unknown },
): BatchRecordSettings<Rec, R, P, O> {
  const {
    store,
    handler,
    key = defaults.key,
    fingerprint,
    schema,
    payload = defaults.payload,
    timeMarginMs,
    onOutcome,
  } = options ?? {};
  check.store(store);
  check.func('handler', handler, '(record, tx, context, payload)');
  check.func('key', key, '(record) => string');
  check.func('fingerprint', fingerprint, '(record) => payload', true);
  check.schema(schema);
  check.func('payload', payload, '(record) => the value the schema validates');
  if (timeMarginMs !== undefined) check.nonNegative('timeMarginMs', timeMarginMs, 'milliseconds');
  check.func('onOutcome', onOutcome, '(outcome, context)', true);
  return { store, handler, key, fingerprint, schema, payload, timeMarginMs, onOutcome };
}
