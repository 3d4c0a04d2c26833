import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, type CfnResource, Stack } from 'aws-cdk-lib';
import type { CfnPolicy } from 'aws-cdk-lib/aws-iam';
import { afterAll, describe, expect, it } from 'vitest';
import { TxonceStack } from '../../../infra/stack.js';
import { readDeadLetterReason } from '../../../lib/index.js';
import type { LocalStack, PipelineEvent } from '../../../local/stack.js';
import { startLocalStack } from '../../../local/stack.js';
import { deadLetters, sendInvoice } from '../../support/local-stack.js';
import { eventually } from '../../support/sqs.js';
import { synthesizeStack } from '../../support/template.js';

const _credentials = { accessKeyId: 'l', secretAccessKey: 'l' };
const stacks: LocalStack[] = [];
afterAll(async () => {
  for (const stack of stacks) await stack.stop();
});

/**
 * The repository's stack with one grant taken away, as an escape hatch on the consumer's
 * default policy would: the statement that lets it write the Customers table.
 */
function stackWithoutCustomersGrant(): string {
  const outdir = mkdtempSync(join(tmpdir(), 'txonce-cdk-out-'));
  const { context } = JSON.parse(readFileSync(join(import.meta.dirname, '..', '..', '..', 'cdk.json'), 'utf8'));
  const app = new App({ outdir, context });
  const stack = new TxonceStack(app, 'txonce-iam', {});
  const policy = stack.pipeline.consumer.role?.node.findChild('DefaultPolicy').node.defaultChild as CfnPolicy;
  const customersArn = Stack.of(stack).resolve(stack.customers.tableArn);
  const document = Stack.of(stack).resolve(policy.policyDocument) as { Statement: { Resource: unknown }[] };
  const statements = document.Statement.map((statement) => {
    const resources = [statement.Resource]
      .flat()
      .filter((resource) => JSON.stringify(resource) !== JSON.stringify(customersArn));
    return { ...statement, Resource: resources.length === 1 ? resources[0] : resources };
  }).filter((statement) => [statement.Resource].flat().length > 0);
  (policy as CfnResource).addPropertyOverride('PolicyDocument.Statement', statements);
  app.synth();
  return outdir;
}

describe.concurrent('IAM, enforced in the local stack', () => {
  it('runs the repository’s pipeline with every function’s calls allowed by its role', async () => {
    const events: PipelineEvent[] = [];
    const stack = await startLocalStack({ cdkOut: synthesizeStack(), port: 0, onEvent: (event) => events.push(event) });
    stacks.push(stack);
    expect(stack.iam.mode).toBe('enforce');
    expect(await sendInvoice(stack, 'msg_iam_ok', 'cus_iam_ok', 10)).toBe(202);
    await eventually(
      'the event committed and its receipt was published',
      async () =>
        events.some(
          (event) =>
            event.stage === 'function' && typeof event.line === 'object' && event.line.message === 'message delivered',
        ),
      30_000,
    );
    // no denial, nothing unchecked: the ingest's archive write to S3 is authorized too
    expect(events.filter((event) => event.stage === 'iam')).toEqual([]);
    const report = stack.iam.usageReport();
    const ingest = report.functions.find((fn) => /Ingest/.test(fn.function));
    expect(ingest?.used).toEqual(
      expect.arrayContaining([
        {
          action: 's3:PutObject',
          resource: expect.stringMatching(/^arn:aws:s3:::[^/]+\/standard-webhooks\/\d{4}\//),
          allowed: true,
        },
      ]),
    );
    const consumer = report.functions.find((fn) => /Consumer/.test(fn.function));
    // the transaction's items are authorized one by one, on their own tables
    expect(consumer?.used).toEqual(
      expect.arrayContaining([
        {
          action: 'dynamodb:PutItem',
          resource: expect.stringMatching(/:table\/txonce-test-PipelineIdempotencyTable/),
          allowed: true,
        },
        {
          action: 'dynamodb:UpdateItem',
          resource: expect.stringMatching(/:table\/txonce-test-Customers/),
          allowed: true,
        },
        // Lambda polls the queue with the consumer's role: checked at start, as CreateEventSourceMapping does
        { action: 'sqs:ReceiveMessage', resource: expect.stringMatching(/:txonce-test-PipelineQueue/), allowed: true },
      ]),
    );
    expect(stack.iam.formatUsageReport()).toMatch(
      /unused {2}dynamodb:GetItem on arn:aws:dynamodb:us-east-1:123456789012:table\/txonce-test-PipelineIdempotencyTable/,
    );
  }, 120_000);

  it('fails the consumer’s commit with AccessDenied naming the action and table when its grant is removed, and dead-letters the event with that reason', async () => {
    const events: PipelineEvent[] = [];
    const stack = await startLocalStack({
      cdkOut: stackWithoutCustomersGrant(),
      port: 0,
      visibilityTimeoutSeconds: 1,
      onEvent: (event) => events.push(event),
    });
    stacks.push(stack);
    expect(await sendInvoice(stack, 'msg_iam_denied', 'cus_iam_denied', 10)).toBe(202);
    const deadLettered = await deadLetters(stack, 1);
    const reason = readDeadLetterReason(deadLettered[0].MessageAttributes);
    expect(reason?.errorMessage).toMatch(
      /User: arn:aws:sts::123456789012:assumed-role\/txonce-iam-PipelineConsumerRole\w+\/txonce-iam-PipelineConsumer\w+ is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table\/txonce-iam-Customers\w+ because no identity-based policy allows the dynamodb:UpdateItem action/,
    );
    expect(events).toContainEqual(
      expect.objectContaining({
        stage: 'iam',
        verdict: 'denied',
        function: expect.stringMatching(/^PipelineConsumer/),
      }),
    );
  }, 120_000);
});
