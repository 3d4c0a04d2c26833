import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { afterEach, describe, expect, it } from 'vitest';
import { lambdaContext } from '../../local/lambda-context.js';
import { snsDeliveryRetries } from '../../local/sns-delivery-retries.js';
import { eventually } from '../support/sqs.js';

// moto posts an HTTP notification once and ignores the answer; SNS retries a failed delivery
// (its default HTTP policy: 3 more times, 20 s apart). Without it, a receipt that reached the
// receiver while DynamoDB Local was restarting was lost for good.
const event = { body: '{"Type":"Notification"}' } as APIGatewayProxyEvent;
const ok: APIGatewayProxyResult = { statusCode: 200, body: '' };
const stops: (() => void)[] = [];
afterEach(() => {
  for (const stop of stops.splice(0)) stop();
});

function retried(answers: (APIGatewayProxyResult | Error)[]) {
  let calls = 0;
  const retries = snsDeliveryRetries({ delaysMs: [20, 20, 20] });
  stops.push(retries.stop);
  const handler = retries.wrap(async () => {
    const answer = answers[Math.min(calls++, answers.length - 1)];
    if (answer instanceof Error) throw answer;
    return answer;
  });
  return { handler, calls: () => calls };
}

describe('SNS HTTP deliveries, retried as SNS does', () => {
  it('delivers again after a 5xx or a failure, until the receiver takes it', async () => {
    const { handler, calls } = retried([new Error('DynamoDB Local is restarting'), { statusCode: 503, body: '' }, ok]);
    await expect(handler(event, lambdaContext(1000, 'test'))).rejects.toThrow('restarting');
    await eventually('delivered three times', async () => calls() === 3);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls()).toBe(3);
  });

  it('gives up after three retries', async () => {
    const { handler, calls } = retried([{ statusCode: 500, body: '' }]);
    expect((await handler(event, lambdaContext(1000, 'test'))).statusCode).toBe(500);
    await eventually('delivered four times', async () => calls() === 4);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls()).toBe(4);
  });

  it('does not retry what the receiver answered (2xx, 4xx)', async () => {
    const { handler, calls } = retried([{ statusCode: 403, body: '' }]);
    expect((await handler(event, lambdaContext(1000, 'test'))).statusCode).toBe(403);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls()).toBe(1);
  });
});
