const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** How a source's provider sends its events: a JSON object, or form parameters (Twilio, Slack's slash commands). */
export type BodyType = 'json' | 'form';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/** A verified body, read as its source sends it: the text queued as is, and the value message groups are read from. */
export type ReadBody =
  | { ok: true; text: string; value: object }
  | { ok: false; statusCode: 400 | 415; message: string };

/**
 * Reads a verified body: the content type the source takes (415 otherwise), non-empty UTF-8
 * (decoding leniently would queue other bytes than were signed), and for JSON an object.
 */
export function readEventBody(rawBody: Buffer, contentType: string | undefined, type: BodyType): ReadBody {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase() ?? '';
  const accepted = type === 'form' ? mediaType === FORM_CONTENT_TYPE : isJson(mediaType);
  if (!accepted) {
    const wanted = type === 'form' ? FORM_CONTENT_TYPE : 'application/json';
    return fail(415, `Content-Type must be ${wanted} (got ${contentType ? `"${contentType}"` : 'none'}).`);
  }
  const what = type === 'form' ? 'form parameters' : 'a JSON event';
  if (rawBody.length === 0) return fail(400, `The body is empty; a webhook carries ${what}.`);
  let text: string;
  try {
    text = strictUtf8.decode(rawBody);
  } catch {
    return fail(400, `The body is not valid UTF-8, so it is not ${type === 'form' ? 'form parameters' : 'JSON'}.`);
  }
  if (type === 'form') return { ok: true, text, value: Object.fromEntries(new URLSearchParams(text)) };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(400, `The body is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const got = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
    return fail(400, `The body must be a JSON object (an event), got ${got}.`);
  }
  return { ok: true, text, value };
}

function isJson(mediaType: string): boolean {
  return mediaType === 'application/json' || /^application\/[\w.+-]+\+json$/.test(mediaType);
}

function fail(statusCode: 400 | 415, message: string): ReadBody {
  return { ok: false, statusCode, message };
}
