import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { Duration } from 'aws-cdk-lib';
import { afterAll, describe, expect, it } from 'vitest';
import { type LocalStack, type PipelineEvent, startLocalStack } from '../../../local/stack.js';
import { checkTemplate, UnsupportedResourceError } from '../../../local/template/emulations.js';
import { compileFilterCriteria } from '../../../local/template/filter-criteria.js';
import { deadLetters, sendInvoice } from '../../support/local-stack.js';
import { eventually } from '../../support/sqs.js';
import { synthesizeStack } from '../../support/template.js';

const credentials = { accessKeyId: 'l', secretAccessKey: 'l' };
const stacks: LocalStack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

describe.concurrent('the local stack follows the construct (no change under local/)', () => {
  it('runs batches of the construct’s batchSize, with the consumer environment it sets', async () => {
    const cdkOut = synthesizeStack({
      pipeline: {
        batchSize: 2,
        maxBatchingWindow: Duration.seconds(2),
        consumer: { environment: { IDEMPOTENCY_TTL_SECONDS: '3600' } },
      },
    });
    const events: PipelineEvent[] = [];
    const stack = await startLocalStack({ cdkOut, port: 0, onEvent: (event) => events.push(event) });
    stacks.push(stack);
    const statuses = await Promise.all(
      Array.from({ length: 6 }, (_, index) => sendInvoice(stack, `msg_batch_${index}`, 'cus_batch', 10)),
    );
    expect(statuses).toEqual(Array(6).fill(202));
    const documents = DynamoDBDocumentClient.from(
      new DynamoDBClient({ endpoint: stack.dynamoEndpoint, region: 'us-east-1', credentials }),
    );
    const total = async () =>
      (
        await documents.send(
          new GetCommand({ TableName: stack.resources.customersTable, Key: { pk: 'cus_batch' }, ConsistentRead: true }),
        )
      ).Item?.paidTotal;
    await eventually('the six invoices are applied', async () => (await total()) === 60, 30_000);
    // the batching window gathers what arrives together, up to the batch size
    const batches = () =>
      events.flatMap((event) => (event.stage === 'mapping' && event.records > 0 ? [event.records] : []));
    await eventually('every invocation has reported', async () => batches().reduce((sum, n) => sum + n, 0) >= 6);
    expect(Math.max(...batches())).toBe(2);
    const { Item } = await documents.send(
      new GetCommand({ TableName: stack.resources.dedupTable, Key: { pk: `${stack.source}#msg_batch_0` } }),
    );
    // IDEMPOTENCY_TTL_SECONDS reached the consumer's bundle: its records expire
    expect(Item?.expiresAt).toBeGreaterThan(Date.now() / 1000 + 3000);
  }, 120_000);

  it('dead-letters after the construct’s maxReceiveCount when the consumer cannot even start', async () => {
    // "#" is refused by the consumer's config at cold start: every invocation fails, as on Lambda
    const cdkOut = synthesizeStack({
      pipeline: { maxReceiveCount: 2, consumer: { environment: { IDEMPOTENCY_SOURCE: 'bad#source' } } },
    });
    const events: PipelineEvent[] = [];
    const stack = await startLocalStack({
      cdkOut,
      port: 0,
      visibilityTimeoutSeconds: 2,
      onEvent: (event) => events.push(event),
    });
    stacks.push(stack);
    expect(await sendInvoice(stack, 'msg_never', 'cus_never', 1)).toBe(202);
    const deadLettered = await deadLetters(stack, 1);
    // delivered maxReceiveCount (2) times, then moved by SQS; looking at it in the DLQ is one more receive
    expect(deadLettered[0].Attributes?.ApproximateReceiveCount).toBe('3');
    const initFailures = events.filter(
      (event) => event.stage === 'runtime' && event.environment === 'init failed' && /Consumer/.test(event.function),
    );
    expect(initFailures.length).toBeGreaterThan(0);
    // the minified bundle still names its error (a class name would be minified to a letter)
    expect(initFailures[0]).toMatchObject({
      detail: expect.stringMatching(/^ConfigError: The consumer is misconfigured/),
    });
    const failed = events.find((event) => event.stage === 'mapping' && event.error);
    expect(failed).toMatchObject({ error: expect.stringContaining('IDEMPOTENCY_SOURCE may not contain "#"') });
  }, 120_000);
});

describe('the map of emulations', () => {
  it('names every resource type and property it does not emulate, and says they matter', () => {
    const check = () =>
      checkTemplate({
        Stream: { Type: 'AWS::Kinesis::Stream', Properties: {} },
        Queue: { Type: 'AWS::SQS::Queue', Properties: { VisibilityTimeout: 30, SomeNewSetting: true } },
        Role: { Type: 'AWS::IAM::Role', Properties: {} },
      });
    expect(check).toThrow(UnsupportedResourceError);
    expect(check).toThrow(/Stream \(AWS::Kinesis::Stream\): this resource type is not emulated locally \(it matters/);
    expect(check).toThrow(/Queue \(AWS::SQS::Queue\) SomeNewSetting: this property is not emulated locally/);
    expect(checkTemplate({ Role: { Type: 'AWS::IAM::Role' } }).notes).toEqual([
      'AWS::IAM::Role (1): no resource locally; evaluated for every call of the functions (IAM, enforced)',
    ]);
  });

  it('filters records as Lambda’s filter criteria do, and refuses operators it does not know', () => {
    const filter = compileFilterCriteria(
      { Filters: [{ Pattern: '{"eventName":["INSERT"]}' }, { Pattern: '{"body":{"type":[{"prefix":"invoice."}]}}' }] },
      'Mapping',
    );
    expect(filter?.({ eventName: 'INSERT' })).toBe(true);
    expect(filter?.({ eventName: 'MODIFY' })).toBe(false);
    expect(filter?.({ body: '{"type":"invoice.paid"}' })).toBe(true);
    expect(filter?.({ body: '{"type":"customer.created"}' })).toBe(false);
    expect(() =>
      compileFilterCriteria({ Filters: [{ Pattern: '{"a":[{"cidr":"10.0.0.0/24"}]}' }] }, 'Mapping'),
    ).toThrow(
      /Mapping \(AWS::Lambda::EventSourceMapping\) FilterCriteria: the filter operator "cidr" is not emulated locally/,
    );
  });
});
