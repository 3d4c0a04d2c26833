import type { SQSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { SqsPoller } from '../../local/sqs-poller.js';
import { createQueues, eventually, localSqs, queueDepth, sendEvent } from '../support/sqs.js';

const sqs = localSqs();

/** Runs a poller over `queueUrl` with `handler` until `done`, then stops it. */
async function pollUntil(
  queueUrl: string,
  handler: (event: SQSEvent) => Promise<unknown>,
  done: () => Promise<boolean>,
) {
  const poller = new SqsPoller({ client: sqs, queueUrl, handler, waitTimeSeconds: 0 });
  await poller.start();
  try {
    await eventually('the poller is done', done);
  } finally {
    await poller.stop();
  }
}

describe('the local SQS poller reads partial batch responses as Lambda does', () => {
  it('deletes what succeeded and leaves the named failures to come back', async () => {
    const { queueUrl } = await createQueues(sqs, { maxReceiveCount: 5 });
    for (const name of ['ok-1', 'fail', 'ok-2']) await sendEvent(sqs, queueUrl, { name });
    const seen: string[] = [];
    await pollUntil(
      queueUrl,
      async (event) => {
        seen.push(...event.Records.map((record) => JSON.parse(record.body).name));
        const failed = event.Records.filter(
          (record) => JSON.parse(record.body).name === 'fail' && seen.filter((n) => n === 'fail').length === 1,
        );
        return { batchItemFailures: failed.map((record) => ({ itemIdentifier: record.messageId })) };
      },
      async () => seen.filter((name) => name === 'fail').length === 2 && (await queueDepth(sqs, queueUrl)) === 0,
    );
    expect(seen.filter((name) => name.startsWith('ok'))).toHaveLength(2); // never redelivered
  });

  it('fails the whole batch when the response names a record that is not in it', async () => {
    const { queueUrl } = await createQueues(sqs, { maxReceiveCount: 5 });
    await sendEvent(sqs, queueUrl, { name: 'a' });
    await sendEvent(sqs, queueUrl, { name: 'b' });
    let invocations = 0;
    const received: string[] = [];
    await pollUntil(
      queueUrl,
      async (event) => {
        invocations++;
        received.push(...event.Records.map((record) => record.messageId));
        return invocations === 1
          ? { batchItemFailures: [{ itemIdentifier: 'not-in-this-batch' }] }
          : { batchItemFailures: [] };
      },
      async () => invocations >= 2 && (await queueDepth(sqs, queueUrl)) === 0,
    );
    // both messages came back: the malformed response deleted nothing
    expect(new Set(received).size).toBe(2);
    expect(received.length).toBeGreaterThanOrEqual(4);
  });
});
