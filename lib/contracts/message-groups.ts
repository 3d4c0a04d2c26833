import type { WebhookScheme } from '../webhooks/schemes.js';

// A contract between the CDK construct (which sets the ingest's MESSAGE_GROUP_PATHS) and the ingest
// function (which falls back to these): defined once, here, where both may import it.

/**
 * FIFO queues: where the ingest finds the entity an event is about, as dot paths into the
 * verified JSON body, tried in order. Events about one entity share a message group (ordered,
 * one at a time); unrelated entities run in parallel, and a poison message blocks only its group.
 * An event with none of them gets a group of its own (its idempotency key): no order, no blocking.
 */
export const MESSAGE_GROUP_PATHS = {
  stripe: ['data.object.customer', 'data.object.id'],
  github: ['repository.id', 'organization.id', 'installation.id'],
  'standard-webhooks': ['data.id'],
} as const satisfies Record<WebhookScheme, readonly string[]>;
