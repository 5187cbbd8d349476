import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { imap } from '../../functions/imap/connector.js';
import { runConformanceSuite } from '../../shared/kit/index.js';
import { type DovecotServer, skipWithoutDovecot, startDovecot } from '../helpers/dovecot.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';

/**
 * The real Dovecot (Debian's dovecot-imapd), one for the file; each check reads its own fresh folder,
 * filled by IMAP APPEND with the arrival date the check asks for.
 */
let running: Promise<DovecotServer> | undefined;
const server = () => {
  running ??= startDovecot();
  return running;
};

afterAll(async () => {
  await (await running)?.stop();
});

const message = (messageId: string, date: Date, n: number) =>
  [
    'From: Reporter <reporter@example.com>',
    'To: phishing@example.com',
    `Subject: Suspicious message ${n}`,
    `Date: ${date.toUTCString()}`,
    `Message-ID: ${messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    'Please check the link in this message.',
    '',
  ].join('\r\n');

if (!skipWithoutDovecot) {
  runConformanceSuite({
    stateStore: kitDynamo,
    connector: imap,
    startSource: async () => {
      const dovecot = await server();
      const folder = `Kit-${randomUUID().slice(0, 8)}`;
      const client = await dovecot.client();
      await client.mailboxCreate(folder);
      let added = 0;
      return {
        params: { host: dovecot.host, port: dovecot.port, tls: false, folder },
        secrets: { username: dovecot.user, password: dovecot.password },
        wrongSecrets: { username: dovecot.user, password: 'not-the-password' },
        async add(times) {
          const ids: string[] = [];
          for (const at of times) {
            const messageId = `<kit-${randomUUID()}@example.com>`;
            await client.append(folder, message(messageId, at, ++added), [], at);
            ids.push(messageId);
          }
          return ids;
        },
        close: () => client.logout().catch(() => undefined),
      };
    },
    skip: {
      rateLimit: 'IMAP has no rate-limit answer to retry (servers throttle by delaying or dropping logins)',
    },
    badParams: [
      { title: 'no host', params: { host: undefined }, message: 'params.host' },
      { title: 'a port out of range', params: { port: 70_000 }, message: 'params.port must be a TCP port' },
    ],
  });
}
