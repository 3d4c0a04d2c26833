import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { IdempotencyTable } from './idempotency-table.js';

/** The deployable stack. For now: the dedup table, for consumers you wrap with txonce yourself. */
export class TxonceStack extends Stack {
  readonly idempotency: IdempotencyTable;

  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);
    this.idempotency = new IdempotencyTable(this, 'Idempotency');
    new CfnOutput(this, 'IdempotencyTableName', { value: this.idempotency.table.tableName });
  }
}
