import { DynamoDBClient, TransactionCanceledException } from '@aws-sdk/client-dynamodb';

export interface CallCounter {
  /** requests that reached DynamoDB, by operation, SDK retries included */
  calls: Record<string, number>;
  total(): number;
  reset(): void;
}

export type Fault = 'fail-before-send' | 'lose-response' | 'conflict' | undefined;

/**
 * A DynamoDB client whose requests are counted, below the SDK's retry middleware so each
 * attempt counts, and optionally faulted: `fault(operation, input)` may fail a request before
 * it is sent, send it and then lose the response, or (a TransactWriteItems) answer it unsent
 * with the service's cancellation for contention, TransactionConflict on its last action.
 */
export function benchClient(
  endpoint: string,
  fault: (operation: string, input: Record<string, unknown>) => Fault = () => undefined,
  maxAttempts?: number,
): { client: DynamoDBClient; counter: CallCounter } {
  const client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'bench', secretAccessKey: 'bench' },
    maxAttempts,
  });
  const counter: CallCounter = {
    calls: {},
    total: () => Object.values(counter.calls).reduce((sum, count) => sum + count, 0),
    reset: () => {
      counter.calls = {};
    },
  };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const operation = String(context.commandName).replace(/Command$/, '');
      const verdict = fault(operation, args.input as Record<string, unknown>);
      if (verdict === 'fail-before-send')
        throw Object.assign(new Error('connection reset (injected)'), { code: 'ECONNRESET' });
      if (verdict === 'conflict') throw conflict(args.input as { TransactItems?: unknown[] });
      counter.calls[operation] = (counter.calls[operation] ?? 0) + 1;
      const output = await next(args);
      if (verdict === 'lose-response')
        throw Object.assign(new Error('socket hang up (injected)'), { code: 'ECONNRESET' });
      return output;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'benchHooks' },
  );
  return { client, counter };
}

/** What DynamoDB answers when a transaction meets another one on an item: nothing applied. */
function conflict(input: { TransactItems?: unknown[] }): TransactionCanceledException {
  const count = input.TransactItems?.length ?? 1;
  return new TransactionCanceledException({
    message:
      'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict] (injected)',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: Array.from({ length: count }, (_, index) => ({
      Code: index === count - 1 ? 'TransactionConflict' : 'None',
      Message: index === count - 1 ? 'Transaction is ongoing for the item' : undefined,
    })),
  });
}
