/** One AWS API call as it arrives over HTTP: who signed it, which service and operation, its input. */
export interface ServiceCall {
  /** the access key id of the SigV4 signature: locally, which function's role made the call */
  accessKeyId: string;
  /** the SigV4 signing name: dynamodb, sqs, sns, secretsmanager, kms, monitoring, events… */
  signingName: string;
  /** the API operation, as the service names it: PutItem, SendMessage, Publish… */
  operation: string;
  /** the wire protocol, so a denial can be answered in it */
  protocol: 'json' | 'query' | 'other';
  /** the request's parameters (JSON body, or the query protocol's form fields as a flat map) */
  input: Record<string, unknown>;
}

const CREDENTIAL = /Credential=([^/,\s]+)\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/;

/**
 * Reads a signed request: the credential scope names the caller and the service, the
 * X-Amz-Target header (AWS JSON protocols) or the Action form field (query protocol) the
 * operation. Undefined when the request is not a signed AWS API call.
 */
export function readServiceCall(
  headers: Record<string, string | string[] | undefined>,
  body: Buffer,
): ServiceCall | undefined {
  const credential = CREDENTIAL.exec(String(headers.authorization ?? ''));
  if (!credential) return undefined;
  const [, accessKeyId, signingName] = credential;
  const target = headers['x-amz-target'];
  if (typeof target === 'string') {
    let input: Record<string, unknown> = {};
    try {
      input = body.length > 0 ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>) : {};
    } catch {
      // an unreadable body: the service itself answers it; the operation is still known
    }
    return { accessKeyId, signingName, operation: target.slice(target.lastIndexOf('.') + 1), protocol: 'json', input };
  }
  const contentType = String(headers['content-type'] ?? '');
  if (contentType.startsWith('application/x-www-form-urlencoded')) {
    const input = Object.fromEntries(new URLSearchParams(body.toString('utf8')));
    if (typeof input.Action === 'string')
      return { accessKeyId, signingName, operation: input.Action, protocol: 'query', input };
  }
  return { accessKeyId, signingName, operation: '', protocol: 'other', input: {} };
}
