/** What `txonce` exits with; docs/operations.md (The CLI) lists the same. */
export const EXIT = {
  ok: 0,
  /** the operation failed: AWS or the endpoint said no, or did not answer */
  failed: 1,
  /** a bad argument, option or setting: nothing was done */
  usage: 2,
  /** the record or message asked for does not exist */
  notFound: 3,
  /** stopped by Ctrl-C (SIGINT) or SIGTERM after cleaning up */
  interrupted: 130,
} as const;

/** A problem the user fixes by changing what they typed; exits with EXIT.usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
