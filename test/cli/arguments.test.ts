import { describe, expect, inject, it } from 'vitest';
import { describeEvent } from '../../local/event-log.js';
import { runCommand, TXONCE_CLI } from '../support/processes.js';
import { createQueues, localSqs, queueDepth, sendEvent } from '../support/sqs.js';

// What an operator sees for a bad argument: one sentence that names what was wrong, and the exit
// status the docs give (2: a bad argument; 1: AWS or the endpoint said no).

const NO_STACK = { TXONCE_STATE_FILE: '/nonexistent/state.json' };
const sqs = localSqs();
const stackTrace = /\bat .*\.(ts|js):\d+|^\s+at /m;

describe('txonce answers a bad argument with one sentence', () => {
  it('an empty key for inspect is a bad argument (exit 2), not a raw MissingIdempotencyKeyError', () => {
    const result = runCommand(
      [...TXONCE_CLI, '--endpoint', inject('dynamoEndpoint'), 'inspect', 'standard-webhooks', '', '--table', 't'],
      NO_STACK,
    );
    expect(result.status).toBe(2);
    expect(result.stderr.trim()).toMatch(/^The key is empty: pass the idempotency key/);
    expect(result.stderr).not.toMatch(/MissingIdempotencyKeyError|stack/);
    expect(result.stderr).not.toMatch(stackTrace);
  });

  it('an --endpoint (or TXONCE_ENDPOINT) that is not a URL is a bad argument (exit 2) that says what a URL looks like', () => {
    const flag = runCommand(
      [...TXONCE_CLI, '--endpoint', 'notaurl', 'dlq', 'list', 'http://127.0.0.1:9/1/dlq'],
      NO_STACK,
    );
    expect(flag.status).toBe(2);
    expect(flag.stderr.trim()).toMatch(/--endpoint.*'notaurl'.*http:\/\/127\.0\.0\.1:4566/);
    expect(flag.stderr).not.toMatch(/TypeError|Invalid URL/);

    const variable = runCommand([...TXONCE_CLI, 'dlq', 'list', 'http://127.0.0.1:9/1/dlq'], {
      ...NO_STACK,
      TXONCE_ENDPOINT: 'notaurl',
    });
    expect(variable.status).toBe(2);
    expect(variable.stderr.trim()).toMatch(/^TXONCE_ENDPOINT .*'notaurl'/);
    expect(variable.stderr).not.toMatch(/TypeError|Invalid URL/);
  });

  it("an endpoint that does not answer is named as such, in words that fit the user's project (no npm start)", () => {
    const result = runCommand(
      [...TXONCE_CLI, '--endpoint', 'http://127.0.0.1:9', 'dlq', 'list', 'http://127.0.0.1:9/1/dlq'],
      NO_STACK,
    );
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toMatch(
      /^The endpoint does not answer \(ECONNREFUSED\)\. .*--endpoint \(or TXONCE_ENDPOINT\)/,
    );
    expect(result.stderr).not.toMatch(/npm start/);
  });

  it('redrive --to a queue that does not exist names that queue, not the DLQ, and moves nothing', async () => {
    const { dlqUrl } = await createQueues(sqs);
    await sendEvent(sqs, dlqUrl, { poison: true }, { idempotencyKey: 'k' });
    const missing = `${inject('sqsEndpoint')}/123456789012/no-such-destination`;

    const result = runCommand(
      [...TXONCE_CLI, '--endpoint', inject('sqsEndpoint'), 'redrive', dlqUrl, '--to', missing],
      NO_STACK,
    );

    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`No such queue: ${missing}`);
    expect(result.stderr).not.toContain(dlqUrl);
    expect(await queueDepth(sqs, dlqUrl)).toBe(1);
  });
});

describe('the local stack log', () => {
  it('says a poll failed, not that 0 records failed', () => {
    const line = describeEvent({
      stage: 'mapping',
      mapping: 'consumer <- events',
      records: 0,
      error: 'connect ECONNREFUSED',
    });
    expect(line).toMatch(/!! consumer <- events: polling failed: connect ECONNREFUSED$/);
    expect(line).not.toContain('0 record(s)');
    const batch = describeEvent({ stage: 'mapping', mapping: 'consumer <- events', records: 3, error: 'timed out' });
    expect(batch).toMatch(/!! consumer <- events: 3 record\(s\) failed: timed out$/);
  });
});
