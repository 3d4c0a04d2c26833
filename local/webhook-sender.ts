import pRetry from 'p-retry';

export interface SendOptions {
  /** Attempts after the first. Default 8 (about a minute of backoff at the default delays). */
  retries?: number;
  /** The first backoff; each next one doubles, with jitter. Default 250 ms. */
  minDelayMs?: number;
  /** The longest backoff. Default 10 s. */
  maxDelayMs?: number;
}

export interface Delivery {
  /** the receiver's last answer */
  status: number;
  attempts: number;
}

/** Answers a sender tries again: the receiver could not take it now (5xx), or asked to wait (429, 408). */
const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

class RetryableStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

/**
 * POSTs a webhook as providers (Stripe, GitHub, Standard Webhooks senders) do: a 5xx, 429 or
 * 408, or a connection that fails, is tried again with exponential backoff and jitter, each
 * attempt built afresh by `request` (a new signature timestamp, the same webhook id). Any other
 * status is the receiver's answer and is returned at once; so is the last status when the
 * retries run out. A network failure on the last attempt rejects.
 */
export async function postWithRetries(
  url: string,
  request: () => { body: string; headers: Record<string, string> },
  options: SendOptions = {},
): Promise<Delivery> {
  let attempts = 0;
  try {
    return await pRetry(
      async () => {
        attempts++;
        const response = await fetch(url, { method: 'POST', ...request() });
        await response.arrayBuffer();
        if (retryable(response.status)) throw new RetryableStatus(response.status);
        return { status: response.status, attempts };
      },
      {
        retries: options.retries ?? 8,
        minTimeout: options.minDelayMs ?? 250,
        maxTimeout: options.maxDelayMs ?? 10_000,
        randomize: true,
      },
    );
  } catch (error) {
    if (error instanceof RetryableStatus) return { status: error.status, attempts };
    throw error;
  }
}
