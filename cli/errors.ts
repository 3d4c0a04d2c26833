/** Runs a call on a queue other than the command's own, so a failure names that queue. */
export async function onQueue<T>(queueUrl: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error !== null && typeof error === 'object') Object.assign(error, { queueUrl });
    throw error;
  }
}

/** Turns the SDK's failures into what to do about them. */
export function explain(error: unknown, context: { queueUrl?: string; endpoint?: string }): string {
  const {
    name = '',
    message = String(error),
    code,
    queueUrl = context.queueUrl,
  } = (error ?? {}) as { name?: string; message?: string; code?: string; queueUrl?: string };
  if (name === 'QueueDoesNotExist' || name === 'AWS.SimpleQueueService.NonExistentQueue') {
    const which = queueUrl === context.queueUrl ? "the stack's DeadLetterQueueUrl output" : 'the queue given';
    return `No such queue: ${queueUrl ?? '(unknown)'}. Check the URL (${which}) and the region.`;
  }
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(message)) {
    return 'No AWS credentials found. Run `aws configure` or `aws sso login`, set AWS_PROFILE, or pass --endpoint for a local stack.';
  }
  if (
    ['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT'].includes(code ?? '') ||
    /ECONNREFUSED|ENOTFOUND/.test(message)
  ) {
    return `The endpoint does not answer (${code ?? message}). Is the emulator or local stack at that address running, and is --endpoint (or TXONCE_ENDPOINT) right?`;
  }
  if (name === 'ResourceNotFoundException') return `DynamoDB says: ${message}. Check --table and the region.`;
  if (/Region is missing/i.test(message)) return 'No AWS region: pass --region or set AWS_REGION.';
  return `${name || 'Error'}: ${message}`;
}
