import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';

/**
 * SQS request limits for ingest: the function has 10 s, and API Gateway answers 502 on its own
 * (no Retry-After, no log line) if the function runs out. Two attempts of at most 1 s to connect
 * plus 2 s for the answer end in about 6 s at worst, leaving time to answer 503 and log it.
 */
export const INGEST_SQS_TIMEOUTS = { connectionTimeoutMs: 1000, requestTimeoutMs: 2000, maxAttempts: 2 } as const;

/** The SQS client of the ingest function: a hung SQS is a fast 503, never a hung request. */
export function ingestSqsClient(config: SQSClientConfig = {}): SQSClient {
  return new SQSClient({
    maxAttempts: INGEST_SQS_TIMEOUTS.maxAttempts,
    requestHandler: {
      connectionTimeout: INGEST_SQS_TIMEOUTS.connectionTimeoutMs,
      requestTimeout: INGEST_SQS_TIMEOUTS.requestTimeoutMs,
      // without it the SDK only logs a warning when the request timeout passes, and waits on
      throwOnRequestTimeout: true,
    },
    ...config,
  });
}
