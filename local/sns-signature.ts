import { createVerify, X509Certificate } from 'node:crypto';

/** What an SNS HTTP notification carries (the fields its signature covers, and the signature). */
export interface SnsMessage {
  Type?: string;
  MessageId?: string;
  TopicArn?: string;
  Subject?: string;
  Message?: string;
  Timestamp?: string;
  SubscribeURL?: string;
  Token?: string;
  SignatureVersion?: string;
  Signature?: string;
  SigningCertURL?: string;
}

/** Where SNS keeps its signing certificates: https on sns.<region>.amazonaws.com, a .pem. */
const SIGNING_CERT_URL = /^https:\/\/sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?\/[^?#]+\.pem$/;

/**
 * Checks an SNS message's signature as AWS tells subscribers to (and as its message validator
 * libraries do): the certificate URL must be SNS's own, the signature must verify with that
 * certificate over the message's canonical fields (SHA1 for version 1, SHA256 for version 2),
 * and the topic must be the one subscribed to. Resolves to the problem in words, or undefined.
 * `certificate` fetches a certificate's PEM by its URL (locally: from moto, which signs).
 */
export async function snsSignatureProblem(
  message: SnsMessage,
  options: { topicArn: string; certificate: (url: string) => Promise<string> },
): Promise<string | undefined> {
  if (!message.Signature) return 'the notification is not signed (no Signature)';
  const url = message.SigningCertURL ?? '';
  if (!SIGNING_CERT_URL.test(url)) return `the signing certificate URL is not SNS's: ${url || '(none)'}`;
  const algorithm = { '1': 'RSA-SHA1', '2': 'RSA-SHA256' }[message.SignatureVersion ?? ''];
  if (!algorithm) return `unknown SignatureVersion ${message.SignatureVersion}`;
  if (message.TopicArn !== options.topicArn) return `the notification is for another topic (${message.TopicArn})`;
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(await options.certificate(url));
  } catch (error) {
    return `the signing certificate could not be fetched (${(error as Error).message})`;
  }
  const verifier = createVerify(algorithm);
  verifier.update(stringToSign(message));
  return verifier.verify(certificate.publicKey, message.Signature, 'base64')
    ? undefined
    : 'the signature does not match the message';
}

/** The fields SNS signs, in its order, each as "Name\nvalue\n". */
function stringToSign(message: SnsMessage): string {
  const fields: (keyof SnsMessage)[] =
    message.Type === 'Notification'
      ? ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type']
      : ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];
  return fields
    .filter((field) => message[field] !== undefined)
    .map((field) => `${field}\n${message[field]}\n`)
    .join('');
}
