import type { FetchMessageObject, ImapFlow, MailboxObject } from 'imapflow';
import { type ConnectorContext, type CursorConnector, defineConnector } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { Incident } from '../../shared/incident.js';
import { type ImapLastRun, imapLastRunProblems, parseLastRun, toUidSet } from './cursor.js';
import { withMailbox } from './imap-session.js';
import { messageToIncident } from './message-to-incident.js';
import { type ImapParams, imapParams, toSearchObject } from './params.js';

type Ctx = ConnectorContext<ImapParams>;

const DAY_MS = 86_400_000;
/** UIDs whose arrival date is checked per FETCH while a `first_fetch` backlog is read. */
const METADATA_CHUNK = 500;
/** One FETCH of full messages carries at most this many bytes or messages. */
const BATCH_BYTES = 16 * 1024 * 1024;
const BATCH_MESSAGES = 50;

/** Where this fetch starts: after the last run's UID, or (first run, new UIDVALIDITY) from a date. */
interface Plan {
  readonly lastUid: number;
  /** Only messages that arrived at or after this (the `first_fetch` backlog). */
  readonly since?: Date;
  /** UIDs of the last run to flag \Seen now that its incidents were accepted. */
  readonly markSeen?: string;
}

interface Candidate {
  readonly uid: number;
  readonly size: number;
}

const plan = (ctx: Ctx, cursor: ImapLastRun, uidValidity: string): Plan => {
  const { folder } = ctx.params;
  if (cursor.lastUid !== undefined && cursor.folder === folder && cursor.uidValidity === uidValidity) {
    return {
      lastUid: cursor.lastUid,
      ...(cursor.since ? { since: new Date(cursor.since) } : {}),
      ...(cursor.markSeen && ctx.params.markAsSeen ? { markSeen: cursor.markSeen } : {}),
    };
  }
  if (cursor.uidValidity !== undefined && cursor.folder === folder) {
    // RFC 9051 §2.3.1.1: a new UIDVALIDITY voids every UID we hold. Read the folder again from
    // first_fetch; the messages fetched before keep their Message-ID, so the endpoint drops them.
    ctx.health(
      `The UIDVALIDITY of folder "${folder}" changed from ${cursor.uidValidity} to ${uidValidity} (the folder was ` +
        `re-created or its index rebuilt), so its UIDs no longer match the last run. It is read again from ` +
        `first_fetch (${ctx.firstFetch.toISOString()}); messages fetched before are dropped by their Message-ID.`,
    );
  } else if (cursor.folder !== undefined && cursor.folder !== folder) {
    ctx.health(
      `params.folder changed from "${cursor.folder}" to "${folder}": reading "${folder}" from first_fetch (${ctx.firstFetch.toISOString()}).`,
    );
  }
  return { lastUid: 0, since: ctx.firstFetch };
};

/** UIDs after `lastUid` matching the instance's criteria (and, from a date, arrived since), ascending. */
const searchUids = async (client: ImapFlow, ctx: Ctx, { lastUid, since }: Plan): Promise<number[]> => {
  const query = {
    ...toSearchObject(ctx.params.search),
    uid: `${lastUid + 1}:*`,
    // SINCE compares dates, not times, in the server's time zone: ask a day early, filter exactly below.
    ...(since ? { since: new Date(since.getTime() - DAY_MS) } : {}),
  };
  const uids = await client.search(query, { uid: true });
  if (!Array.isArray(uids)) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `IMAP server ${ctx.params.host} rejected the search ${JSON.stringify(ctx.params.search)}: check params.search.`,
    );
  }
  // "n:*" always includes the highest UID, even below n (RFC 9051 §6.4.8).
  return uids.filter((uid) => uid > lastUid).sort((a, b) => a - b);
};

/**
 * Picks the next `maxFetch` candidates, checking the arrival date when reading from `since`.
 * `examinedUpTo` is the highest UID looked at: everything up to it was taken or does not qualify.
 */
const select = async (client: ImapFlow, uids: number[], plan: Plan, maxFetch: number) => {
  const selected: Candidate[] = [];
  let examined = 0;
  while (examined < uids.length && selected.length < maxFetch) {
    const chunk = uids.slice(examined, examined + (plan.since ? METADATA_CHUNK : maxFetch - selected.length));
    const found = new Map<number, FetchMessageObject>();
    for (const message of await client.fetchAll(
      toUidSet(chunk),
      { uid: true, size: true, internalDate: true },
      { uid: true },
    ))
      found.set(message.uid, message);
    for (const uid of chunk) {
      examined++;
      const message = found.get(uid);
      // Gone since the search (expunged by another client): nothing to fetch.
      if (!message) continue;
      const arrived = message.internalDate ? new Date(message.internalDate).getTime() : Number.NaN;
      if (plan.since && arrived < plan.since.getTime()) continue;
      selected.push({ uid, size: message.size ?? 0 });
      if (selected.length === maxFetch) break;
    }
  }
  return { selected, examinedUpTo: uids[examined - 1], hasMore: examined < uids.length };
};

/** Splits the messages into FETCHes of bounded size; over `maxMessageBytes`, headers only. */
const batches = (selected: Candidate[], maxMessageBytes: number) => {
  const out: { uids: number[]; headersOnly: boolean }[] = [];
  let current: number[] = [];
  let bytes = 0;
  for (const { uid, size } of selected) {
    if (size > maxMessageBytes) {
      out.push({ uids: [uid], headersOnly: true });
      continue;
    }
    if (current.length > 0 && (bytes + size > BATCH_BYTES || current.length >= BATCH_MESSAGES)) {
      out.push({ uids: current, headersOnly: false });
      current = [];
      bytes = 0;
    }
    current.push(uid);
    bytes += size;
  }
  if (current.length > 0) out.push({ uids: current, headersOnly: false });
  return out;
};

const readIncidents = async (client: ImapFlow, ctx: Ctx, selected: Candidate[], uidValidity: string) => {
  const byUid = new Map<number, Incident>();
  const origin = { folder: ctx.params.folder, uidValidity };
  for (const batch of batches(selected, ctx.params.maxMessageBytes)) {
    const messages = await client.fetchAll(
      toUidSet(batch.uids),
      batch.headersOnly
        ? { uid: true, size: true, internalDate: true, flags: true, headers: true }
        : { uid: true, size: true, internalDate: true, flags: true, source: true },
      { uid: true },
    );
    // Parsed one at a time after the FETCH: no IMAP command may run inside imapflow's fetch loop.
    for (const message of messages) byUid.set(message.uid, await messageToIncident(message, origin, ctx.now));
  }
  return selected.flatMap(({ uid }) => byUid.get(uid) ?? []);
};

const fetchFromMailbox = async (client: ImapFlow, mailbox: MailboxObject, ctx: Ctx) => {
  const uidValidity = mailbox.uidValidity.toString();
  const current = plan(ctx, parseLastRun(ctx.lastRun), uidValidity);
  if (current.markSeen) await client.messageFlagsAdd(current.markSeen, ['\\Seen'], { uid: true });
  const uids = await searchUids(client, ctx, current);
  const { selected, examinedUpTo, hasMore } = await select(client, uids, current, ctx.maxFetch);
  const incidents = await readIncidents(client, ctx, selected, uidValidity);
  // Caught up: every UID below UIDNEXT (as of SELECT) was seen by this search, matching or not.
  const belowUidNext = Number.isSafeInteger(mailbox.uidNext) ? mailbox.uidNext - 1 : 0;
  const lastUid = hasMore
    ? (examinedUpTo ?? current.lastUid)
    : Math.max(current.lastUid, examinedUpTo ?? 0, belowUidNext);
  const nextRun = {
    folder: ctx.params.folder,
    uidValidity,
    lastUid,
    ...(hasMore && current.since ? { since: current.since.toISOString() } : {}),
    ...(ctx.params.markAsSeen && selected.length > 0
      ? { markSeen: toUidSet(selected.map((m) => m.uid)) }
      : {}),
  } satisfies ImapLastRun;
  return { incidents, nextRun, hasMore, pages: 1 };
};

/**
 * The IMAP mailbox connector (XSOAR's Mail Listener): one incident per message of `params.folder`
 * matching `params.search`, in UID order, at most `max_fetch` a fetch. Own-cursor: UIDVALIDITY +
 * last UID; the first fetch (and one after a UIDVALIDITY change) reads from `first_fetch` by date.
 */
export const imap = defineConnector<ImapParams, never, CursorConnector<ImapParams>>({
  name: 'imap',
  style: 'cursor',
  params: imapParams,
  secrets: ['username', 'password'],
  // No prefetch: a fetch flags the last page's messages \Seen, which must wait for that page's push.
  checkLastRun: imapLastRunProblems,

  fetchIncidents: (ctx) =>
    withMailbox(ctx, { readOnly: !ctx.params.markAsSeen }, (client, mailbox) =>
      fetchFromMailbox(client, mailbox, ctx),
    ),

  async test(ctx) {
    // Connect, log in, open the folder read-only: proves host, port, TLS, credentials and folder.
    await withMailbox(ctx, { readOnly: true }, async () => undefined);
  },
});
