import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, StreamViewType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Stream } from 'aws-cdk-lib/aws-kinesis';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { IdempotencyTable, StreamConsumer, type StreamConsumerProps } from '../../infra/index.js';

const code = {
  code: Code.fromInline('exports.handler = async () => ({ batchItemFailures: [] })'),
  handler: 'index.handler',
};

function synth(stream: (stack: Stack) => StreamConsumerProps['stream'], extra: Partial<StreamConsumerProps> = {}) {
  const stack = new Stack(new App(), 'streams');
  const idempotency = new IdempotencyTable(stack, 'Dedup');
  const consumer = new StreamConsumer(stack, 'Deposits', {
    stream: stream(stack),
    source: code,
    idempotency,
    ...extra,
  });
  return { stack, consumer, template: Template.fromStack(stack) };
}

/** What a txonce stream consumer's event source mapping must have, whatever the stream. */
const checkpointing = (failures: unknown) => ({
  FunctionResponseTypes: ['ReportBatchItemFailures'],
  BisectBatchOnFunctionError: true,
  MaximumRetryAttempts: 10,
  StartingPosition: 'TRIM_HORIZON',
  BatchSize: 100,
  ParallelizationFactor: 1,
  DestinationConfig: { OnFailure: { Destination: failures } },
});

// The first synth loads aws-cdk-lib: slow on a busy machine.
describe('StreamConsumer', { timeout: 180_000 }, () => {
  it('wires a Kinesis stream with batch item failures, bisect, bounded retries and an on-failure queue', () => {
    const { stack, consumer, template } = synth((s) => ({ kinesis: new Stream(s, 'Events') }));
    const failuresArn = { 'Fn::GetAtt': [stack.getLogicalId(consumer.failures.node.defaultChild as never), 'Arn'] };

    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ...checkpointing(failuresArn),
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Events'), 'Arn'] },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ DEDUP_TABLE: { Ref: Match.stringLikeRegexp('^DedupTable') } }) },
    });
    // the function may send the failed batch's description to the queue, and put its dedup records
    const statements = JSON.stringify(template.findResources('AWS::IAM::Policy'));
    expect(statements).toContain('sqs:SendMessage');
    expect(statements).toContain('dynamodb:PutItem');
    expect(statements).toContain('kinesis:GetRecords');
  });

  it("wires a DynamoDB table's stream the same way, and takes a given on-failure queue and retry bound", () => {
    const { template } = synth(
      (s) => ({
        dynamodbTable: new TableV2(s, 'Orders', {
          partitionKey: { name: 'pk', type: AttributeType.STRING },
          dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
        }),
      }),
      { retryAttempts: 3 },
    );
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ...checkpointing(Match.anyValue()),
      MaximumRetryAttempts: 3,
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Orders'), 'StreamArn'] },
    });
  });

  it('refuses a stream prop naming both sources or neither', () => {
    expect(() => synth(() => ({}) as never)).toThrow(/exactly one of/);
  });
});
