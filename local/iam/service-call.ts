/** One AWS API call as it arrives over HTTP: who signed it, which service and operation, its input. */
export interface ServiceCall {
  /** the access key id of the SigV4 signature: locally, which function's role made the call */
  accessKeyId: string;
  /** the SigV4 signing name: dynamodb, sqs, sns, secretsmanager, kms, monitoring, events… */
  signingName: string;
  /** the API operation, as the service names it: PutItem, SendMessage, Publish… */
  operation: string;
  /** the wire protocol, so a denial can be answered in it */
  protocol: 'json' | 'query' | 'rest-xml' | 'other';
  /** the request's parameters (JSON body, the query protocol's form fields as a flat map, or S3's Bucket and Key from the path) */
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
  request: { method?: string; url?: string } = {},
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
  if (signingName === 's3') return { accessKeyId, signingName, ...s3Operation(request), protocol: 'rest-xml' };
  return { accessKeyId, signingName, operation: '', protocol: 'other', input: {} };
}

/**
 * S3's REST operations on objects and buckets, from a path-style request (the local clients use
 * path style): the method, whether the path names a key, and the list query tell them apart.
 */
function s3Operation(request: { method?: string; url?: string }): Pick<ServiceCall, 'operation' | 'input'> {
  const url = new URL(request.url ?? '/', 'http://local');
  const [bucket = '', ...key] = url.pathname.slice(1).split('/').map(decodeURIComponent);
  const input = key.length > 0 && key.join('/') !== '' ? { Bucket: bucket, Key: key.join('/') } : { Bucket: bucket };
  const method = (request.method ?? 'GET').toUpperCase();
  if ('Key' in input) {
    const operation = { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[method];
    return { operation: operation ?? '', input };
  }
  if (method === 'GET')
    return { operation: url.searchParams.get('list-type') === '2' ? 'ListObjectsV2' : 'ListObjects', input };
  if (method === 'HEAD') return { operation: 'HeadBucket', input };
  return { operation: '', input };
}
