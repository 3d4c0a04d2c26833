import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type HmacSchemeDefinition, webhookPresets } from '../../../lib/index.js';
import {
  archiveKeyAt,
  archiveKeyTime,
  archiveObjectKey,
  headersToKeep,
  verifiedHeaderNames,
} from '../../../lib/webhooks/archive-layout.js';

const receivedAt = new Date('2026-12-06T04:19:10.123Z');
const digest = (key: string) => createHash('sha256').update(key).digest('hex').slice(0, 16);

describe('the archive layout: "<source>/<yyyy>/<mm>/<dd>/<hh>/<time>-<digest>.json"', () => {
  it('lays an event out by source, date and hour, with its time and key digest', () => {
    expect(archiveObjectKey('acme pay', 'evt_1', receivedAt)).toBe(
      `acme%20pay/2026/12/06/04/20261206T041910123Z-${digest('evt_1')}.json`,
    );
  });

  it('starts a listing at the key of a time, which sorts just before the events of that millisecond', () => {
    const start = archiveKeyAt('acme pay', receivedAt);
    expect(start).toBe('acme%20pay/2026/12/06/04/20261206T041910123Z');
    expect(start < archiveObjectKey('acme pay', 'evt_1', receivedAt)).toBe(true);
  });

  it('reads the time back from an object key, and nothing from another key', () => {
    expect(archiveKeyTime(archiveObjectKey('stripe', 'evt_1', receivedAt))).toStrictEqual(receivedAt);
    expect(archiveKeyTime('stripe/2026/12/06/04/notes.txt')).toBeUndefined();
    expect(archiveKeyTime(`${archiveObjectKey('stripe', 'evt_1', receivedAt)}.bak`)).toBeUndefined();
  });
});

describe('the headers the archive keeps: those the scheme verifies with, and the content type', () => {
  it.each([
    [
      'standard-webhooks',
      [
        'webhook-signature',
        'svix-signature',
        'webhook-timestamp',
        'svix-timestamp',
        'webhook-id',
        'svix-id',
        'content-type',
      ],
    ],
    ['stripe', ['stripe-signature', 'content-type']],
    ['github', ['x-hub-signature-256', 'x-github-delivery', 'content-type']],
  ] as const)('%s: %j', (preset, names) => {
    expect(verifiedHeaderNames(webhookPresets[preset])).toStrictEqual(names);
  });

  it('includes headers that are signed, once each', () => {
    const scheme: HmacSchemeDefinition = {
      name: 'acme',
      algorithm: 'sha256',
      encoding: 'hex',
      signature: { header: 'x-acme-signature', format: { type: 'plain' } },
      signed: [{ header: 'x-acme-account' }, { text: '.' }, { header: 'content-type' }, { value: 'body' }],
      id: { digest: 'body-sha256' },
    };
    expect(verifiedHeaderNames(scheme)).toStrictEqual(['x-acme-signature', 'x-acme-account', 'content-type']);
  });

  it('keeps only those headers, and only those present', () => {
    expect(
      headersToKeep(webhookPresets.github, {
        'x-hub-signature-256': 'sha256=ab',
        cookie: 'session=secret',
        authorization: 'Bearer t',
        'content-type': undefined,
      }),
    ).toStrictEqual({ 'x-hub-signature-256': 'sha256=ab' });
  });
});
