import type { Context } from 'aws-lambda';
import { MIN_MARGIN_MS } from '../shared/commit-margin.js';

/** The default margin: 5 s, but never more than this share of the time the batch starts with. */
const DEFAULT_MARGIN_MS = 5000;
const DEFAULT_MARGIN_SHARE = 1 / 5;

/**
 * "Too late to start another record?", measured against the time left when the batch starts:
 * the default margin shrinks to fit a short function, but never below MIN_MARGIN_MS (an
 * explicit one below it is raised to it); an explicit one it can never meet is an error.
 * `owner` names the batch handler in that error.
 */
export function timeBudget(owner: string, context: Context, timeMarginMs: number | undefined): () => boolean {
  if (typeof context?.getRemainingTimeInMillis !== 'function') return () => false;
  const atStart = context.getRemainingTimeInMillis();
  if (timeMarginMs !== undefined && atStart <= timeMarginMs) {
    throw new RangeError(
      `${owner}: \`timeMarginMs\` is ${timeMarginMs} ms but the invocation started with ${atStart} ms left, ` +
        'so no record could ever start. Lower timeMarginMs, or raise the function timeout.',
    );
  }
  const margin = Math.max(
    MIN_MARGIN_MS,
    timeMarginMs ?? Math.min(DEFAULT_MARGIN_MS, Math.floor(atStart * DEFAULT_MARGIN_SHARE)),
  );
  return () => context.getRemainingTimeInMillis() < margin;
}

/**
 * Calls the user's `onOutcome` hook. A record's fate is decided before the hook sees it, so a
 * hook that throws is logged, not allowed to change that fate (no redelivery of a settled record).
 */
export async function callOutcomeHook<O>(
  owner: string,
  hook: ((outcome: O, context: Context) => void | Promise<void>) | undefined,
  outcome: O,
  context: Context,
  recordName: string,
): Promise<void> {
  try {
    await hook?.(outcome, context);
  } catch (error) {
    console.error(`${owner}: onOutcome threw for ${recordName}`, error);
  }
}
