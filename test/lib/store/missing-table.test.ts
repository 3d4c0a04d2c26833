import { beforeAll, describe, expect, it } from 'vitest';
import { Idempotency, IdempotencyError, TableNotFoundError } from '../../../lib/index.js';
import { createTable, localClient } from '../../support/dynamo.js';

// A table that does not exist (a typo in tableName, another region or account, a stack not yet
// deployed) is named in the error, with what to check, instead of the SDK's bare
// "Requested resource not found".

const client = localClient();
let dedupTable: string;

beforeAll(async () => {
  dedupTable = await createTable(client, 'dedup');
});

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.unreachable('expected a failure'),
    (error: Error) => error,
  );
}

describe('a table that does not exist', () => {
  it('the dedup table: a TableNotFoundError that names it and says what to check', async () => {
    const store = new Idempotency({ client, tableName: 'dedupe-typo', source: 'missing' });
    const error = await failure(store.run({ key: 'evt_1' }, () => 'ran'));
    expect(error).toBeInstanceOf(TableNotFoundError);
    expect(error).toBeInstanceOf(IdempotencyError);
    expect(error).toMatchObject({ name: 'TableNotFoundError', retryable: false, tableNames: ['dedupe-typo'] });
    expect(error.message).toBe(
      'DynamoDB has no table "dedupe-typo" (the dedup table) where the client looked. Nothing was written. ' +
        "Check the table name and the client's region, account and endpoint; IdempotencyTable or " +
        'WebhookPipeline from txonce/cdk creates a dedup table (string partition key "pk").',
    );
    expect((error.cause as Error).name).toBe('ResourceNotFoundException');
  });

  it('with precheck, the read before the work says the same', async () => {
    const store = new Idempotency({ client, tableName: 'dedupe-typo', source: 'missing', precheck: true });
    const error = await failure(store.run({ key: 'evt_1' }, () => 'ran'));
    expect(error).toBeInstanceOf(TableNotFoundError);
    expect(error.message).toMatch(/^DynamoDB has no table "dedupe-typo" \(the dedup table\)/);
  });

  it("one of the handler's tables: the error names every table the transaction wrote to", async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'missing' });
    const error = await failure(
      store.run({ key: 'evt_2' }, (tx) => {
        tx.put({ TableName: 'customerz', Item: { pk: 'cus_1' } });
      }),
    );
    expect(error).toBeInstanceOf(TableNotFoundError);
    expect((error as TableNotFoundError).tableNames).toEqual([dedupTable, 'customerz']);
    expect(error.message).toMatch(
      new RegExp(
        `^DynamoDB has no table "${dedupTable}" \\(the dedup table\\) or "customerz" where the client looked\\.`,
      ),
    );
  });

  it("two of the handler's tables: each is named, the dedup table first", async () => {
    const store = new Idempotency({ client, tableName: dedupTable, source: 'missing' });
    const error = await failure(
      store.run({ key: 'evt_3' }, (tx) => {
        tx.put({ TableName: 'customerz', Item: { pk: 'cus_1' } });
        tx.put({ TableName: 'ordrs', Item: { pk: 'ord_1' } });
      }),
    );
    expect((error as TableNotFoundError).tableNames).toEqual([dedupTable, 'customerz', 'ordrs']);
    expect(error.message).toMatch(
      new RegExp(
        `^DynamoDB has no table "${dedupTable}" \\(the dedup table\\) or "customerz" or "ordrs" where the client looked\\.`,
      ),
    );
  });
});
