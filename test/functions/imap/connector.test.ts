import { createHash, randomUUID } from 'node:crypto';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imap } from '../../../functions/imap/connector.js';
import type { ImapLastRun } from '../../../functions/imap/cursor.js';
import { imapParams } from '../../../functions/imap/params.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { LastRun } from '../../../shared/connector.js';
import { runConnectorTest } from '../../../shared/handler/run-connector-test.js';
import { validateIncident } from '../../../shared/incident.js';
import type { StateStore } from '../../../shared/state/state-store.js';
import { type DovecotServer, skipWithoutDovecot, startDovecot } from '../../helpers/dovecot.js';
import { type ContextOptions, fetchContext } from '../../helpers/fetch-context.js';
import { silentLogger } from '../../helpers/runtime.js';
import { freePort } from '../../helpers/servers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let server: DovecotServer;
let mailbox: ImapFlow;

beforeAll(async () => {
  if (skipWithoutDovecot) return;
  server = await startDovecot();
  mailbox = await server.client();
});

afterAll(async () => {
  await mailbox?.logout().catch(() => undefined);
  await server?.stop();
});

interface Attachment {
  filename: string;
  contentType: string;
  content: Buffer;
}

interface MessageSpec {
  subject?: string;
  messageId?: string | false;
  from?: string;
  to?: string;
  cc?: string;
  date?: Date;
  text?: string;
  attachments?: Attachment[];
}

/** An RFC 5322 message, multipart/mixed when it has attachments. */
const mime = (spec: MessageSpec): string => {
  const headers = [
    `From: ${spec.from ?? 'Reporter <reporter@example.com>'}`,
    `To: ${spec.to ?? 'phishing@example.com'}`,
    ...(spec.cc ? [`Cc: ${spec.cc}`] : []),
    ...(spec.subject === undefined ? [] : [`Subject: ${spec.subject}`]),
    `Date: ${(spec.date ?? new Date()).toUTCString()}`,
    ...(spec.messageId === false ? [] : [`Message-ID: ${spec.messageId ?? `<${randomUUID()}@example.com>`}`]),
    'MIME-Version: 1.0',
  ];
  const text = spec.text ?? 'Please look at this suspicious mail.';
  if (!spec.attachments?.length)
    return [...headers, 'Content-Type: text/plain; charset=utf-8', '', text, ''].join('\r\n');
  const boundary = `b-${randomUUID()}`;
  const parts = [
    `--${boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${text}`,
    ...spec.attachments.map(
      (a) =>
        `--${boundary}\r\nContent-Type: ${a.contentType}; name="${a.filename}"\r\n` +
        `Content-Disposition: attachment; filename="${a.filename}"\r\nContent-Transfer-Encoding: base64\r\n\r\n` +
        a.content.toString('base64').replace(/.{76}/g, '$&\r\n'),
    ),
  ];
  return [
    ...headers,
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    '',
    ...parts,
    `--${boundary}--`,
    '',
  ].join('\r\n');
};

/** A folder of its own for each test: they share one Dovecot. */
const aFolder = async (): Promise<string> => {
  const folder = `T${randomUUID().slice(0, 8)}`;
  await mailbox.mailboxCreate(folder);
  return folder;
};

/** Adds a message by IMAP APPEND; `arrived` is its internal date (what first_fetch compares). */
const append = async (folder: string, spec: MessageSpec, arrived = new Date()) => {
  await mailbox.append(folder, mime(spec), [], arrived);
};

const fetchFrom = async (
  folder: string,
  params: Record<string, unknown> = {},
  options: ContextOptions = {},
) => {
  const parsed = imapParams.parse({ host: server.host, port: server.port, tls: false, folder, ...params });
  const { ctx, messages } = fetchContext(parsed, {
    secrets: { username: server.user, password: server.password },
    ...options,
  });
  const result = await imap.fetchIncidents(ctx);
  return { ...result, health: messages };
};

const names = (result: { incidents: { name: string }[] }) =>
  result.incidents.map((incident) => incident.name);

const flagsOf = async (folder: string) => {
  const lock = await mailbox.getMailboxLock(folder);
  try {
    return (await mailbox.fetchAll('1:*', { uid: true, flags: true }, { uid: true })).map((m) => [
      ...(m.flags ?? []),
    ]);
  } finally {
    lock.release();
  }
};

describe.skipIf(skipWithoutDovecot)('the IMAP connector, against a real Dovecot', () => {
  it('reads only what arrived since first_fetch on the first run, then only new messages', async () => {
    const folder = await aFolder();
    const firstFetch = new Date(Date.now() - 3 * DAY);
    await append(folder, { subject: 'ten days old' }, new Date(Date.now() - 10 * DAY));
    // Inside IMAP's day-granular SINCE, outside first_fetch by an hour.
    await append(folder, { subject: 'just before first_fetch' }, new Date(firstFetch.getTime() - HOUR));
    await append(folder, { subject: 'an hour old' }, new Date(Date.now() - HOUR));

    const first = await fetchFrom(folder, {}, { firstFetch });
    await append(folder, { subject: 'new' });
    const second = await fetchFrom(folder, {}, { firstFetch, lastRun: first.nextRun });
    const third = await fetchFrom(folder, {}, { firstFetch, lastRun: second.nextRun });

    expect(names(first)).toEqual(['an hour old']);
    expect(first).toMatchObject({ hasMore: false, nextRun: { folder, lastUid: 3 } });
    expect(names(second)).toEqual(['new']);
    expect(second.nextRun).toMatchObject({
      lastUid: 4,
      uidValidity: (first.nextRun as ImapLastRun).uidValidity,
    });
    expect(third.incidents).toEqual([]);
  });

  it('maps a message: subject, date, Message-ID, sender, recipients and hashed attachments', async () => {
    const folder = await aFolder();
    const pdf = Buffer.from('%PDF-1.4 not really an invoice');
    const html = Buffer.from('<html><body>click <a href="http://evil.example">here</a></body></html>');
    const sent = new Date('2026-11-27T09:30:00.000Z');
    await append(folder, {
      subject: 'Suspicious invoice',
      messageId: '<report-1@example.com>',
      from: 'Alice <alice@example.com>',
      to: 'phishing@example.com, soc@example.com',
      cc: 'boss@example.com',
      date: sent,
      text: 'Forwarding a mail asking me to pay.',
      attachments: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', content: pdf },
        { filename: 'login.html', contentType: 'text/html', content: html },
      ],
    });
    await append(folder, { messageId: false });

    const { incidents, nextRun } = await fetchFrom(folder, {}, { firstFetch: new Date(Date.now() - DAY) });

    const sha256 = (content: Buffer) => createHash('sha256').update(content).digest('hex');
    const [report, bare] = incidents;
    expect(report).toMatchObject({
      name: 'Suspicious invoice',
      occurred: sent.toISOString(),
      dbotMirrorId: '<report-1@example.com>',
    });
    expect(report!.labels).toEqual(
      expect.arrayContaining([
        { type: 'Email/from', value: 'alice@example.com' },
        { type: 'Email/to', value: 'phishing@example.com, soc@example.com' },
        { type: 'Email/cc', value: 'boss@example.com' },
        { type: 'Email/attachments', value: 'invoice.pdf, login.html' },
        { type: 'Email/attachment/sha256', value: sha256(pdf) },
        { type: 'Email/attachment/sha256', value: sha256(html) },
      ]),
    );
    expect(report!.details).toContain('Forwarding a mail asking me to pay.');
    expect(report!.details).toContain(
      `- invoice.pdf (application/pdf, ${pdf.length} bytes) sha256:${sha256(pdf)}`,
    );
    const raw = JSON.parse(report!.rawJSON!);
    expect(raw).toMatchObject({
      folder,
      uid: 1,
      messageId: '<report-1@example.com>',
      subject: 'Suspicious invoice',
      from: [{ name: 'Alice', address: 'alice@example.com' }],
      text: 'Forwarding a mail asking me to pay.',
      attachments: [
        { filename: 'invoice.pdf', contentType: 'application/pdf', size: pdf.length, sha256: sha256(pdf) },
        { filename: 'login.html', contentType: 'text/html', size: html.length, sha256: sha256(html) },
      ],
    });
    expect(raw.headers).toEqual(expect.arrayContaining([{ name: 'Subject', value: 'Suspicious invoice' }]));
    expect(report!.rawJSON).not.toContain(pdf.toString('base64'));
    expect(bare).toMatchObject({
      name: '(no subject)',
      dbotMirrorId: `${(nextRun as ImapLastRun).uidValidity}:2`,
    });
    for (const [index, incident] of incidents.entries()) validateIncident(incident, index);
  });

  it('respects max_fetch in UID order, hasMore until the first_fetch backlog is read', async () => {
    const folder = await aFolder();
    const firstFetch = new Date(Date.now() - DAY);
    for (const subject of ['r1', 'old1', 'r2', 'r3', 'old2', 'r4', 'r5']) {
      await append(folder, { subject }, new Date(Date.now() - (subject.startsWith('old') ? 5 * DAY : HOUR)));
    }

    const pages: string[][] = [];
    let lastRun: LastRun = {};
    for (let page = 0; page < 3; page++) {
      const result = await fetchFrom(folder, {}, { firstFetch, lastRun, maxFetch: 2 });
      pages.push(names(result));
      expect(result.hasMore).toBe(page < 2);
      lastRun = result.nextRun;
    }

    expect(pages).toEqual([['r1', 'r2'], ['r3', 'r4'], ['r5']]);
    expect(lastRun).toEqual({ folder, uidValidity: expect.any(String), lastUid: 7 });
  });

  it('reads the folder again after its UIDVALIDITY changed, says so in the health, keeps the Message-IDs', async () => {
    const folder = await aFolder();
    const specs = [
      { subject: 'a', messageId: '<a@example.com>' },
      { subject: 'b', messageId: '<b@example.com>' },
    ];
    for (const spec of specs) await append(folder, spec);
    const before = await fetchFrom(folder);

    // Re-created: Dovecot gives the new folder a new UIDVALIDITY, and its UIDs start at 1 again.
    await mailbox.mailboxDelete(folder);
    await mailbox.mailboxCreate(folder);
    for (const spec of [...specs, { subject: 'c', messageId: '<c@example.com>' }]) await append(folder, spec);
    const after = await fetchFrom(folder, {}, { lastRun: before.nextRun });

    expect(before.incidents.map((incident) => incident.dbotMirrorId)).toEqual([
      '<a@example.com>',
      '<b@example.com>',
    ]);
    expect(after.incidents.map((incident) => incident.dbotMirrorId)).toEqual([
      '<a@example.com>',
      '<b@example.com>',
      '<c@example.com>',
    ]);
    expect((after.nextRun as ImapLastRun).uidValidity).not.toBe((before.nextRun as ImapLastRun).uidValidity);
    expect(after.health).toEqual([
      { text: expect.stringContaining('UIDVALIDITY of folder'), isError: false },
    ]);
  });

  it('flags fetched messages \\Seen on the next fetch, once their incidents were accepted', async () => {
    const folder = await aFolder();
    await append(folder, { subject: 'report 1' });
    await append(folder, { subject: 'report 2' });
    const params = { search: { unseen: true }, markAsSeen: true };

    const first = await fetchFrom(folder, params);
    const flagsAfterFirst = await flagsOf(folder);
    const retried = await fetchFrom(folder, params); // as after a failed push: the last run did not move
    const second = await fetchFrom(folder, params, { lastRun: first.nextRun });

    expect(names(first)).toEqual(['report 1', 'report 2']);
    expect(first.nextRun).toMatchObject({ markSeen: '1:2' });
    expect(flagsAfterFirst.flat()).not.toContain('\\Seen');
    expect(names(retried)).toEqual(['report 1', 'report 2']);
    expect(second.incidents).toEqual([]);
    expect(second.nextRun).not.toHaveProperty('markSeen');
    expect((await flagsOf(folder)).every((flags) => flags.includes('\\Seen'))).toBe(true);
  });

  it('fetches only the messages matching params.search', async () => {
    const folder = await aFolder();
    await append(folder, { subject: 'Re: lunch' });
    await append(folder, { subject: 'Phish: reset your password' });

    const result = await fetchFrom(folder, { search: { subject: 'phish' } });

    expect(names(result)).toEqual(['Phish: reset your password']);
  });

  it('describes a message over maxMessageBytes from its headers alone', async () => {
    const folder = await aFolder();
    const big = Buffer.alloc(100_000, 7);
    await append(folder, {
      subject: 'Huge attachment',
      attachments: [{ filename: 'dump.bin', contentType: 'application/octet-stream', content: big }],
    });

    const { incidents } = await fetchFrom(folder, { maxMessageBytes: 65_536 });

    expect(incidents[0]).toMatchObject({ name: 'Huge attachment' });
    expect(incidents[0]!.details).toContain('only its headers were read');
    expect(JSON.parse(incidents[0]!.rawJSON!)).toMatchObject({ headersOnly: true, attachments: [] });
  });
});

describe.skipIf(skipWithoutDovecot)("the IMAP connector's Test button", () => {
  const emptyStore = {
    read: async () => undefined,
    getContext: async () => ({ value: {}, version: 0 }),
  } as unknown as StateStore;

  const testInstance = (params: Record<string, unknown>, password = server.password) =>
    runConnectorTest({
      document: instanceDocumentSchema.parse({
        id: 'mailbox',
        connector: 'imap',
        params: { host: server.host, port: server.port, tls: false, ...params },
        secrets: { username: { env: 'IMAP_USER' }, password: { env: 'IMAP_PASSWORD' } },
        sink: { type: 'ferry' },
      }),
      connector: imap,
      resolveSecrets: async () => ({ username: server.user, password }),
      store: emptyStore,
      logger: silentLogger,
      timeoutMs: 10_000,
    });

  it('passes with the right credentials and an existing folder', async () => {
    expect(await testInstance({ folder: 'INBOX' })).toEqual({
      kind: 'test',
      instanceId: 'mailbox',
      ok: true,
    });
  });

  it('fails with a wrong password, saying to check the credentials', async () => {
    const outcome = await testInstance({}, 'not-the-password');

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(outcome.error?.message).toContain(`refused the login (Authentication failed.)`);
    expect(outcome.error?.message).toContain(`check the instance's "username" and "password" secrets`);
  });

  it('fails for a folder that does not exist, naming params.folder', async () => {
    const outcome = await testInstance({ folder: 'NoSuchFolder' });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(outcome.error?.message).toContain('the folder "NoSuchFolder" does not exist');
  });

  it('fails where nothing listens, saying to check host and port', async () => {
    const outcome = await testInstance({ port: await freePort() });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_UNREACHABLE' } });
    expect(outcome.error?.message).toContain('Check params.host and params.port');
  });

  it('fails when TLS is asked of a plain IMAP port, saying to set params.tls', async () => {
    const outcome = await testInstance({ tls: true });

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_UNREACHABLE' } });
    expect(outcome.error?.message).toContain('set params.tls to false');
  });
});
