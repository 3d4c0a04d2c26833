import { randomUUID } from 'node:crypto';
import type { ServiceCall } from './service-call.js';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** JSON protocol services and the content type their errors come in. */
const JSON_VERSION: Record<string, string> = { dynamodb: '1.0', sqs: '1.0' };

/**
 * A denied call answered as the service answers it, so the function's SDK throws the error it
 * would get from AWS: AccessDeniedException from the JSON protocols (SQS's JSON protocol also
 * names its query error code, AccessDenied, which the SDK takes as the error's name), and the
 * query protocol's XML ErrorResponse (SNS's code is AuthorizationError, as SNS words it), and
 * S3's REST XML Error with its AccessDenied code.
 */
export function accessDenied(call: ServiceCall, message: string): HttpAnswer {
  const requestId = randomUUID();
  if (call.protocol === 'query') {
    const code = call.signingName === 'sns' ? 'AuthorizationError' : 'AccessDenied';
    const text = call.signingName === 'sns' ? message.replace(/(perform: |the )sns:/g, '$1SNS:') : message;
    return {
      status: 403,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body: `<ErrorResponse><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(text)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  if (call.protocol === 'rest-xml') {
    // S3's REST XML error, which the SDK throws as AccessDenied
    return {
      status: 403,
      headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
      body: `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  const headers: Record<string, string> = {
    'content-type': `application/x-amz-json-${JSON_VERSION[call.signingName] ?? '1.1'}`,
    'x-amzn-requestid': requestId,
  };
  if (call.signingName === 'sqs') headers['x-amzn-query-error'] = 'AccessDenied;Sender';
  return {
    status: 400,
    headers,
    body: JSON.stringify({ __type: 'com.amazon.coral.service#AccessDeniedException', message, Message: message }),
  };
}

const escapeXml = (text: string) => text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
