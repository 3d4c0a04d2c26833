/**
 * On-demand list prices used by the cost tables: US East (N. Virginia), in USD. DynamoDB
 * Standard table class after the on-demand price cut of 1 November 2024; Lambda x86, first
 * pricing tier. Not read live (the bench has no network): update them here when AWS changes them.
 */
export const PRICES = {
  region: 'us-east-1',
  asOf: 'list prices as published since the DynamoDB on-demand price cut of 1 November 2024 (not re-read live on the run date: the bench has no network)',
  dynamoWriteRequestUnit: 0.625 / 1e6,
  dynamoReadRequestUnit: 0.125 / 1e6,
  lambdaGbSecond: 0.0000166667,
  lambdaRequest: 0.2 / 1e6,
  /** the consumer's deployed memory size (infra: 512 MB) */
  lambdaMemoryGb: 512 / 1024,
};

/** DynamoDB dollars of one request's units. */
export function dynamoDollars(writeUnits: number, readUnits: number): number {
  return writeUnits * PRICES.dynamoWriteRequestUnit + readUnits * PRICES.dynamoReadRequestUnit;
}

/** Lambda compute dollars of one event's handler time at the deployed memory (the per-invocation 1 ms rounding is spread over a batch, so left out). */
export function lambdaDollars(ms: number): number {
  return (ms / 1000) * PRICES.lambdaMemoryGb * PRICES.lambdaGbSecond;
}
