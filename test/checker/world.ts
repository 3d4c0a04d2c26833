import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** Where one schedule's calls go: the schedule being run installs itself here. */
export interface CallHook {
  /** `wire` is the JSON body as sent (what DynamoDB sees, after every middleware above this one) */
  dynamo(
    commandName: string,
    input: Record<string, unknown>,
    wire: Record<string, unknown>,
    send: () => Promise<unknown>,
  ): Promise<unknown>;
  deadLetterSend(send: () => Promise<unknown>): Promise<unknown>;
}

/**
 * What every schedule shares: the emulators' tables and DLQ (each schedule keys its items by a
 * unique source, so tables are created once), and a few containers' clients whose every
 * request goes through the running schedule's hook, below the SDK's retries.
 */
export interface World {
  dedupTable: string;
  businessTable: string;
  outboxTable: string;
  dlqUrl: string;
  reader: DynamoDBDocumentClient;
  sqs: SQSClient;
  /** per container and per SDK attempt count: a DynamoDB client whose requests go through `hook` */
  dynamoClient(container: number, sdkAttempts: number): DynamoDBDocumentClient;
  hook: CallHook | undefined;
  destroy(): void;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export async function createWorld(endpoints: { dynamo: string; sqs: string }): Promise<World> {
  const raw = new DynamoDBClient({ endpoint: endpoints.dynamo, region: 'us-east-1', credentials });
  const reader = DynamoDBDocumentClient.from(raw);
  const suffix = randomUUID().slice(0, 8);
  const [dedupTable, businessTable, outboxTable] = await Promise.all(
    ['checker-dedup', 'checker-business', 'checker-outbox'].map(async (name) => {
      const tableName = `${name}-${suffix}`;
      await raw.send(
        new CreateTableCommand({
          TableName: tableName,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
      return tableName;
    }),
  );
  const sqs = new SQSClient({ endpoint: endpoints.sqs, region: 'us-east-1', credentials });
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `checker-dlq-${suffix}` }));

  const clients = new Map<string, DynamoDBDocumentClient>();
  const world: World = {
    dedupTable,
    businessTable,
    outboxTable,
    dlqUrl: QueueUrl as string,
    reader,
    sqs,
    hook: undefined,
    dynamoClient(container, sdkAttempts) {
      const id = `${container}/${sdkAttempts}`;
      let client = clients.get(id);
      if (!client) {
        // SDK retries without backoff delay: the schedule, not the clock, decides what happens
        const base = new DynamoDBClient({
          endpoint: endpoints.dynamo,
          region: 'us-east-1',
          credentials,
          retryStrategy: immediateRetries(sdkAttempts),
        });
        client = DynamoDBDocumentClient.from(base);
        client.middlewareStack.add(
          (next, context) => async (args) => {
            const hook = world.hook;
            if (!hook) return next(args);
            const name = String(context.commandName).replace(/Command$/, '');
            const body = (args.request as { body?: unknown }).body;
            const wire = typeof body === 'string' ? (JSON.parse(body) as Record<string, unknown>) : {};
            return hook.dynamo(name, args.input as Record<string, unknown>, wire, () => next(args)) as ReturnType<
              typeof next
            >;
          },
          { step: 'finalizeRequest', priority: 'low', name: 'txonceChecker' },
        );
        clients.set(id, client);
      }
      return client;
    },
    destroy() {
      for (const client of clients.values()) client.destroy();
      reader.destroy();
      sqs.destroy();
    },
  };
  // DLQ sends go through the running schedule's hook, which may fail them
  sqs.middlewareStack.add(
    (next, context) => async (args) => {
      const hook = world.hook;
      if (!hook || context.commandName !== 'SendMessageCommand') return next(args);
      return hook.deadLetterSend(() => next(args)) as ReturnType<typeof next>;
    },
    { step: 'finalizeRequest', priority: 'low', name: 'txonceCheckerDlq' },
  );
  return world;
}

/** The SDK's retry rules (transient, throttling and server errors), with no delay between attempts. */
function immediateRetries(maxAttempts: number) {
  const token = (count: number) => ({ getRetryCount: () => count, getRetryDelay: () => 0 });
  return {
    mode: 'standard',
    acquireInitialRetryToken: async () => token(0),
    refreshRetryTokenForRetry: async (
      previous: ReturnType<typeof token>,
      errorInfo: { errorType: 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR' },
    ) => {
      const count = previous.getRetryCount() + 1;
      if (errorInfo.errorType === 'CLIENT_ERROR' || count >= maxAttempts) throw new Error('no more SDK retries');
      return token(count);
    },
    recordSuccess: () => undefined,
  };
}
