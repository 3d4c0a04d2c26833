/**
 * Settings that the CDK stack and the local stack must agree on. A plain module with no
 * CDK or AWS imports, so both read the same values.
 */
export const DEDUP_TABLE = {
  /** the dedup table's string partition key (txonce records are keyed "<source>#<key>") */
  partitionKey: 'pk',
  /** the TTL attribute, epoch seconds; written only when a store sets ttlSeconds */
  ttlAttribute: 'expiresAt',
} as const;
