import type { ProxyHandler } from './http-gateway.js';
import { lambdaContext } from './lambda-context.js';

/** SNS's default delivery policy for HTTP/S endpoints: 3 retries, 20 s apart (linear). */
const SNS_DEFAULT_DELAYS_MS = [20_000, 20_000, 20_000];

export interface SnsDeliveryRetries {
  /** the receiver's handler, with failed deliveries retried in the background */
  wrap(handler: ProxyHandler): ProxyHandler;
  /** cancels the retries still waiting (the stack is stopping) */
  stop(): void;
}

/**
 * moto posts an SNS notification to an HTTP subscriber once and ignores the answer; SNS
 * delivers again when the endpoint fails (a 5xx, or no answer), by the topic's delivery
 * policy. This puts that back in front of a local subscriber: a delivery that failed is
 * handed to the handler again, the same notification, after each delay in turn.
 */
export function snsDeliveryRetries(
  options: {
    delaysMs?: number[];
    /** told of each failed delivery (1 is the first), and when the next comes, if one does */
    onFailure?: (delivery: number, why: string, retryInMs?: number) => void;
  } = {},
): SnsDeliveryRetries {
  const delays = options.delaysMs ?? SNS_DEFAULT_DELAYS_MS;
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  const failure = async (attempt: Promise<{ statusCode: number }>): Promise<string | undefined> => {
    try {
      const { statusCode } = await attempt;
      return statusCode >= 500 ? `HTTP ${statusCode}` : undefined;
    } catch (error) {
      return (error as Error).message;
    }
  };
  return {
    wrap: (handler) => {
      /** after delivery number `failed` failed: the next one, if the policy has one left */
      const retry = (event: Parameters<ProxyHandler>[0], failed: number, why: string) => {
        const delay = stopped ? undefined : delays[failed - 1];
        options.onFailure?.(failed, why, delay);
        if (delay === undefined) return;
        const timer = setTimeout(async () => {
          timers.delete(timer);
          if (stopped) return;
          const again = await failure(handler(event, lambdaContext(30_000, 'local-sns')));
          if (again !== undefined) retry(event, failed + 1, again);
        }, delay);
        timers.add(timer);
      };
      return async (event, context) => {
        const attempt = handler(event, context);
        void failure(attempt).then((why) => {
          if (why !== undefined) retry(event, 1, why);
        });
        return attempt;
      };
    },
    stop: () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  };
}
