import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SQSClient } from '@aws-sdk/client-sqs';
import { describe, expect, it } from 'vitest';
import { readDeadLetterReason } from '../../lib/index.js';
import { type LocalStack, type PipelineEvent, startLocalStack } from '../../local/stack.js';
import { localStackSuite, sendInvoice } from '../support/local-stack.js';
import { drainMessages, eventually, queueDepth } from '../support/sqs.js';

// The journal re-delivers what a stack answered 202 for and lost; an event the consumer
// dead-lettered has had its fate decided and must not go round again at every start.

const suite = localStackSuite();

const sqsOf = (stack: LocalStack) =>
  new SQSClient({
    endpoint: stack.sqsEndpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });

describe('a restarted local stack and the events it dead-lettered', () => {
  it('does not queue a poison again at the next start: it puts it back into the new DLQ, with its reason, once', async () => {
    const dataPath = mkdtempSync(join(tmpdir(), 'txonce-data-'));
    const secret = 'whsec_dGhlIHNhbWUgc2VjcmV0IGJvdGggdGltZXM=';
    const first = await startLocalStack({ cdkOut: suite.cdkOut(), port: 0, dataPath, secret });
    expect(await sendInvoice(first, 'msg_poison_1', 'cus_poison', -1)).toBe(202);
    expect(await sendInvoice(first, 'msg_poison_2', 'cus_poison', -2)).toBe(202);
    await eventually(
      'both poisons are dead-lettered',
      async () => (await queueDepth(sqsOf(first), first.resources.deadLetterQueueUrl)) === 2,
      30_000,
    );
    await first.stop(); // moto's queues, the DLQ among them, are gone with it

    const events: PipelineEvent[] = [];
    const second = suite.track(
      await startLocalStack({
        cdkOut: suite.cdkOut(),
        port: 0,
        dataPath,
        secret,
        onEvent: (event) => events.push(event),
      }),
    );

    expect(second.replayed).toEqual({ replayed: 0, committed: 0, torn: 0, deadLettered: 2, restored: 2 });
    const sqs = sqsOf(second);
    await new Promise((resolve) => setTimeout(resolve, 2000)); // a consumer that got them would have run by now
    expect(await queueDepth(sqs, second.resources.queueUrl)).toBe(0);
    const dead = await drainMessages(sqs, second.resources.deadLetterQueueUrl);
    expect(dead.map((message) => message.MessageAttributes?.idempotencyKey?.StringValue).sort()).toEqual([
      'msg_poison_1',
      'msg_poison_2',
    ]);
    for (const message of dead)
      expect(readDeadLetterReason(message.MessageAttributes)?.errorName).toBe('PermanentError');
    const consumed = events.filter(
      (event) => event.stage === 'function' && /dead-lettered/.test(JSON.stringify(event)),
    );
    expect(consumed).toEqual([]);
  }, 150_000);
});
