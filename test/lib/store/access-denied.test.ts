import { beforeAll, describe, expect, it } from 'vitest';
import * as txonce from '../../../lib/index.js';
import { Idempotency, IdempotencyError } from '../../../lib/index.js';
import { createTable, localClient } from '../../support/dynamo.js';

// A role that may not write where the transaction writes: AWS refuses the whole transaction with
// AccessDeniedException. Delivering the event again fails the same way until the role changes,
// so it is not retryable: an SQS batch with a DLQ dead-letters it at once, with AWS's words.

const client = localClient();
const denial =
  'User: arn:aws:sts::123456789012:assumed-role/consumer-role/consumer is not authorized to perform: dynamodb:UpdateItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/customers because no identity-based policy allows the dynamodb:UpdateItem action';
// a table whose name has dots, in a message that ends with one; a KMS key policy that names nothing
const dotted =
  'User: arn:aws:sts::123456789012:assumed-role/consumer-role/consumer is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/shop.orders.v2.';
const unnamed =
  'The ciphertext refers to a customer master key that does not exist, or you are not allowed to access it.';
const denials: Record<string, string> = { customers: denial, 'shop.orders.v2': dotted, ledger: unnamed };
let dedupTable: string;

beforeAll(async () => {
  dedupTable = await createTable(client, 'dedup');
  // what IAM answers before DynamoDB sees the request
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = JSON.stringify(args.input);
      const table = Object.keys(denials).find((name) => input.includes(`"${name}"`));
      if (context.commandName === 'TransactWriteItemsCommand' && table)
        throw Object.assign(new Error(denials[table]), {
          name: 'AccessDeniedException',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'iamDenies' },
  );
});

describe('a transaction the role may not make', () => {
  it('is an AccessDeniedError, not retryable, naming the action and resource AWS refused', async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'denied' });
    const error = await store
      .run({ key: 'evt_1' }, (tx) => {
        tx.update({
          TableName: 'customers',
          Key: { pk: 'cus_1' },
          UpdateExpression: 'SET paid = :t',
          ExpressionAttributeValues: { ':t': true },
        });
      })
      .then(
        () => expect.unreachable('expected a failure'),
        (failure: Error) => failure,
      );
    expect(error).toBeInstanceOf((txonce as Record<string, unknown>).AccessDeniedError as typeof Error);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error).toMatchObject({
      name: 'AccessDeniedError',
      retryable: false,
      action: 'dynamodb:UpdateItem',
      resource: 'arn:aws:dynamodb:us-east-1:123456789012:table/customers',
    });
    expect(error.message).toBe(
      `AWS refused the transaction: ${denial}. Nothing was written. Grant the function's role dynamodb:UpdateItem on arn:aws:dynamodb:us-east-1:123456789012:table/customers, then redrive the event.`,
    );
    expect((error.cause as Error).name).toBe('AccessDeniedException');
  });

  it.each([
    [
      "names the action and the resource, without the sentence's last period, in a table name with dots",
      'shop.orders.v2',
      'dynamodb:PutItem',
      'arn:aws:dynamodb:us-east-1:123456789012:table/shop.orders.v2',
      `AWS refused the transaction: ${dotted.slice(0, -1)}. Nothing was written. Grant the function's role dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/shop.orders.v2, then redrive the event.`,
    ],
    [
      'says to grant what the transaction does when AWS names no action',
      'ledger',
      undefined,
      undefined,
      `AWS refused the transaction: ${unnamed.slice(0, -1)}. Nothing was written. Grant the function's role what the transaction does, then redrive the event.`,
    ],
  ])('%s', async (_, table, action, resource, message) => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'denied' });
    const error = await store
      .run({ key: `evt_${table}` }, (tx) => {
        tx.put({ TableName: table, Item: { pk: 'item_1' } });
      })
      .then(
        () => expect.unreachable('expected a failure'),
        (failure: Error) => failure,
      );
    expect(error).toMatchObject({ name: 'AccessDeniedError', retryable: false, action, resource });
    expect(error.message).toBe(message);
  });
});
