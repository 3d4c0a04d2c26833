import { randomUUID } from 'node:crypto';
import {
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** What to do to one TransactWriteItems request as it leaves the client. */
export type Fault =
  | 'none'
  /** send it (DynamoDB applies it), then lose the response: a connection reset */
  | 'lose-response'
  /** answer without sending, as DynamoDB does under contention */
  | 'conflict'
  /** answer without sending: a request with this token is still in progress (outcome unknown) */
  | 'in-progress'
  /** answer without sending: a transaction cancelled for throttling */
  | 'throttle'
  /** answer without sending: the request itself throttled (the SDK retries this one) */
  | 'throughput-exceeded'
  /** send it with another ClientRequestToken: DynamoDB's 10-minute token window has passed */
  | 'forget-token';

export interface Instrumented {
  /** requests that reached DynamoDB, by operation (SDK retries included) */
  sent: Record<string, number>;
  /** ClientRequestToken of each TransactWriteItems attempt, faulted or not */
  tokens: string[];
  totalSent(): number;
  reset(): void;
}

/** How the emulated service treats a token it has already cancelled (DynamoDB does not document it). */
export interface ServiceBehaviour {
  /**
   * true: the service remembers a token whose transaction it cancelled for TransactionConflict
   * and answers every later request with that token with the same cancellation, unsent.
   */
  replayCancelledTokens?: boolean;
}

/**
 * Adds a middleware below the SDK's retry middleware, so it sees every attempt: it counts
 * the requests that reach DynamoDB and applies `plan(n, input)` to the n-th TransactWriteItems.
 */
export function instrument(
  client: DynamoDBDocumentClient,
  plan: (attempt: number, input: { TransactItems?: unknown[] }) => Fault = () => 'none',
  behaviour: ServiceBehaviour = {},
): Instrumented {
  const state: Instrumented = {
    sent: {},
    tokens: [],
    totalSent: () => Object.values(state.sent).reduce((a, b) => a + b, 0),
    reset: () => {
      state.sent = {};
      state.tokens = [];
      transactAttempts = 0;
    },
  };
  let transactAttempts = 0;
  const cancelledTokens = new Set<string>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const token = String((args.input as { ClientRequestToken?: string }).ClientRequestToken);
      let fault =
        operation === 'TransactWriteItems'
          ? plan(++transactAttempts, args.input as { TransactItems?: unknown[] })
          : 'none';
      if (operation === 'TransactWriteItems') {
        state.tokens.push(token);
        if (cancelledTokens.has(token)) fault = 'conflict';
      }
      if (fault === 'conflict') {
        if (behaviour.replayCancelledTokens) cancelledTokens.add(token);
        throw cancelled('TransactionConflict', args.input);
      }
      if (fault === 'in-progress') {
        throw new TransactionInProgressException({
          message: 'Transaction is ongoing for the transaction token (fault injected)',
          $metadata: { httpStatusCode: 400 },
        });
      }
      if (fault === 'throttle') throw cancelled('ThrottlingError', args.input);
      if (fault === 'throughput-exceeded') {
        throw new ProvisionedThroughputExceededException({
          message: 'The level of configured provisioned throughput for the table was exceeded (fault injected)',
          $metadata: { httpStatusCode: 400 },
        });
      }
      state.sent[operation] = (state.sent[operation] ?? 0) + 1;
      if (fault === 'forget-token') forgetToken(args.request);
      const output = await next(args);
      if (fault === 'lose-response') {
        throw Object.assign(new Error('socket hang up (fault injected after DynamoDB answered)'), {
          code: 'ECONNRESET',
        });
      }
      return output;
    },
    { step: 'finalizeRequest', priority: 'low', name: `txonceTestFaults${Math.random()}` },
  );
  return state;
}

function cancelled(code: string, input: unknown): TransactionCanceledException {
  const count = (input as { TransactItems?: unknown[] }).TransactItems?.length ?? 1;
  return new TransactionCanceledException({
    message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${code}]`,
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: Array.from({ length: count }, (_, index) => ({ Code: index === 0 ? code : 'None' })),
  });
}

function forgetToken(request: unknown): void {
  const http = request as { body: string | Uint8Array; headers: Record<string, string> };
  const text = typeof http.body === 'string' ? http.body : new TextDecoder().decode(http.body);
  const body = JSON.parse(text);
  body.ClientRequestToken = randomUUID();
  http.body = JSON.stringify(body);
  http.headers['content-length'] = String(Buffer.byteLength(http.body));
}
