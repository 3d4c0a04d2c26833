import type { SQSRecord } from 'aws-lambda';
import { type Destination, jsonBody, PermanentError, type Tx } from '../../lib/index.js';

/** The example event: an invoice was paid. Amounts are in minor units (cents). */
export interface InvoicePaidEvent {
  type: 'invoice.paid';
  timestamp?: string;
  data: { invoiceId: string; customerId: string; amount: number; currency: string };
}

export interface BusinessTables {
  invoicesTable: string;
  customersTable: string;
  /** where to emit a `receipt.requested` message for each paid invoice, through the outbox */
  receipts?: Destination;
}

export type InvoiceResult =
  | { applied: 'invoice.paid'; invoiceId: string; customerId: string; amount: number }
  | { ignored: string };

/**
 * Stages the effect of one event: for "invoice.paid", upsert the invoice and ADD the amount to
 * the customer's paid total (exactly what a duplicate would double), and emit a receipt request
 * when a destination is configured. Other event types are
 * acknowledged without writes. A malformed event is a PermanentError: retrying cannot fix it.
 */
export function applyInvoiceEvent(record: SQSRecord, tx: Tx, tables: BusinessTables): InvoiceResult {
  const event = jsonBody<{ type?: unknown }>(record);
  if (event === null || typeof event !== 'object' || typeof event.type !== 'string') {
    throw new PermanentError(
      `Message ${record.messageId} is not an event: expected a JSON object with a string "type".`,
    );
  }
  if (event.type !== 'invoice.paid') return { ignored: event.type };

  const { data, timestamp } = validInvoicePaid(event, record.messageId);
  tx.put({
    TableName: tables.invoicesTable,
    Item: {
      pk: data.invoiceId,
      customerId: data.customerId,
      amount: data.amount,
      currency: data.currency,
      status: 'paid',
      paidAt: timestamp ?? new Date().toISOString(),
    },
  });
  tx.update({
    TableName: tables.customersTable,
    Key: { pk: data.customerId },
    UpdateExpression: 'ADD #paidTotal :amount, #invoiceCount :one SET #currency = :currency',
    ExpressionAttributeNames: { '#paidTotal': 'paidTotal', '#invoiceCount': 'invoiceCount', '#currency': 'currency' },
    ExpressionAttributeValues: { ':amount': data.amount, ':one': 1, ':currency': data.currency },
  });
  if (tables.receipts) {
    // sent by the publisher only if this transaction commits, once per event however often it arrives
    tx.emit({ destination: tables.receipts, type: 'receipt.requested', payload: data });
  }
  return { applied: 'invoice.paid', invoiceId: data.invoiceId, customerId: data.customerId, amount: data.amount };
}

/**
 * What must match when a key comes again: the event's type and data, what the writes are made
 * of. Other fields (a timestamp, a sender's delivery counter) may differ between deliveries of
 * one event. A body that is not JSON is a PermanentError, as in applyInvoiceEvent.
 */
export function eventFingerprint(record: SQSRecord): unknown {
  const event = jsonBody<{ type?: unknown; data?: unknown } | null>(record);
  return event !== null && typeof event === 'object' ? { type: event.type, data: event.data } : event;
}

function validInvoicePaid(
  event: { type?: unknown; data?: unknown; timestamp?: unknown },
  messageId: string,
): InvoicePaidEvent {
  const data = (event.data ?? {}) as Record<string, unknown>;
  const problems: string[] = [];
  if (!isId(data.invoiceId)) problems.push('data.invoiceId must be a non-empty string');
  if (!isId(data.customerId)) problems.push('data.customerId must be a non-empty string');
  if (!(Number.isSafeInteger(data.amount) && (data.amount as number) > 0)) {
    problems.push('data.amount must be a positive whole number of minor units (cents)');
  }
  if (typeof data.currency !== 'string' || !/^[A-Z]{3}$/.test(data.currency)) {
    problems.push('data.currency must be an ISO 4217 code such as "EUR"');
  }
  if (
    event.timestamp !== undefined &&
    (typeof event.timestamp !== 'string' || Number.isNaN(Date.parse(event.timestamp)))
  ) {
    problems.push('timestamp, when present, must be an ISO 8601 date');
  }
  if (problems.length > 0) {
    throw new PermanentError(`Message ${messageId} is not a valid invoice.paid event: ${problems.join('; ')}.`);
  }
  return event as InvoicePaidEvent;
}

function isId(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= 1024;
}
