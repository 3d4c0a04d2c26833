import { createHash } from 'node:crypto';
import type { HmacSchemeDefinition } from './hmac-scheme-definition.js';

// The archive's contract between the ingest (which writes one object per accepted webhook) and
// `txonce replay` (which lists a source's time range and enqueues it again): defined once, here.

/** What the ingest logs (at ERROR) for an accepted webhook the archive does not hold, beside the ArchiveWriteFailures metric its alarm counts. */
export const ARCHIVE_FAILED_MESSAGE = 'could not archive the webhook; it was queued';

/** The format tag of an archived webhook; a reader refuses objects of another format. */
export const ARCHIVE_FORMAT = 'txonce.archive/1';

/**
 * One accepted webhook as the ingest kept it: the body exactly as signed (strict UTF-8, so the
 * text is the signed bytes), the headers a verifier reads, and what the ingest decided.
 */
export interface ArchivedWebhook {
  format: typeof ARCHIVE_FORMAT;
  /** the pipeline's key namespace (records are "<source>#<key>") */
  source: string;
  /** the name of the signature scheme the ingest verified (a preset's name, or the definition's) */
  scheme: string;
  /** a scheme that is not a preset: its definition, so replay verifies with what the ingest used */
  schemeDefinition?: HmacSchemeDefinition;
  /** schemes that sign the request URL (Square, Twilio): the URL the ingest verified against */
  url?: string;
  /** form-encoded bodies: their content type, queued again with the event */
  contentType?: string;
  /** the idempotency key: replay enqueues under it, so an applied event is absorbed */
  key: string;
  /** when the ingest accepted it (ISO 8601, UTC) */
  receivedAt: string;
  /** the FIFO message group the ingest computed (used when the target queue is FIFO) */
  messageGroupId: string;
  deliveryId?: string;
  /** the headers the scheme's verifier reads, lower-cased */
  headers: Record<string, string>;
  /** the raw body, as signed */
  body: string;
  /** the ingest's verdict: the signature verified at `receivedAt`; its signed timestamp, if any */
  verdict: { verified: true; signedAt?: string };
}

/** The object key prefix of one source: "<source>/". */
export function archiveSourcePrefix(source: string): string {
  return `${encodeURIComponent(source)}/`;
}

/**
 * Where an event lives: "<source>/<yyyy>/<mm>/<dd>/<hh>/<yyyymmddThhmmssSSSZ>-<key digest>.json".
 * Keys sort by time within a source, so a time range is one listing from a start key; the digest
 * keeps one event's redeliveries in the same millisecond in one object.
 */
export function archiveObjectKey(source: string, key: string, receivedAt: Date): string {
  const iso = receivedAt.toISOString(); // 2026-12-06T04:19:10.123Z: fixed width
  const [yyyy, mm, dd, hh] = [iso.slice(0, 4), iso.slice(5, 7), iso.slice(8, 10), iso.slice(11, 13)];
  const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
  return `${archiveSourcePrefix(source)}${yyyy}/${mm}/${dd}/${hh}/${compactTime(iso)}-${digest}.json`;
}

/** The first object key at or after `time` in a source: a listing starts after the key just below it. */
export function archiveKeyAt(source: string, time: Date): string {
  const iso = time.toISOString();
  return `${archiveSourcePrefix(source)}${iso.slice(0, 4)}/${iso.slice(5, 7)}/${iso.slice(8, 10)}/${iso.slice(11, 13)}/${compactTime(iso)}`;
}

/** The time an object key names (undefined for a key not laid out by archiveObjectKey). */
export function archiveKeyTime(objectKey: string): Date | undefined {
  const match = /\/(\d{8})T(\d{9})Z-[0-9a-f]{16}\.json$/.exec(objectKey);
  if (!match) return undefined;
  const [date, time] = [match[1], match[2]];
  return new Date(
    `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${time.slice(0, 2)}:${time.slice(2, 4)}:${time.slice(4, 6)}.${time.slice(6, 9)}Z`,
  );
}

function compactTime(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

/** The headers a scheme's verifier reads (signature, timestamp, id, delivery id, signed headers). */
export function verifiedHeaderNames(scheme: HmacSchemeDefinition): string[] {
  const names = (value: string | readonly string[] | undefined) =>
    value === undefined ? [] : typeof value === 'string' ? [value] : [...value];
  const named = [
    ...names(scheme.signature.header),
    ...(scheme.timestamp && 'header' in scheme.timestamp ? names(scheme.timestamp.header) : []),
    ...(scheme.id && 'header' in scheme.id ? names(scheme.id.header) : []),
    ...names(scheme.deliveryIdHeader),
    ...scheme.signed.flatMap((part) => ('header' in part ? [part.header] : [])),
    'content-type',
  ];
  return [...new Set(named)];
}

/** Only the headers a verifier reads: no cookies, no tokens, no infrastructure headers in the archive. */
export function headersToKeep(scheme: HmacSchemeDefinition, headers: Record<string, string | undefined>) {
  const kept: Record<string, string> = {};
  for (const name of verifiedHeaderNames(scheme)) {
    const value = headers[name];
    if (value !== undefined) kept[name] = value;
  }
  return kept;
}
