import { type Context, Hono } from 'hono';
import {
  listen,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
} from '../../helpers/vendors/vendor-server.js';

/**
 * A configurable JSON feed on 127.0.0.1 for the httpjson features no vendor example covers: every
 * pagination style, both orders, epoch or ISO times, GET or POST, bearer, basic or API-key auth.
 *
 * `GET /events` (or `POST /events` with the same names in a JSON body) takes `since`/`until` (ISO or
 * epoch seconds), `order` (asc|desc), `limit`, and one of `page` (1-based), `offset` or `cursor`. It
 * answers `{"data": {"items": [...]}, "meta": {"more", "next_cursor"}, "links": {"next"}}` plus a
 * `Link: <...>; rel="next"` header, or with `?shape=array`, the bare array, or with `?shape=ids` only
 * the items' ids (the first step of chained requests). A POST body is read as its Content-Type says:
 * JSON or `application/x-www-form-urlencoded`; any other is refused with 415.
 *
 * Details (the second step): `GET /events/<id>` answers one item (404 once deleted); `GET /lookup?ids=a&ids=b`
 * and `POST /lookup` `{"ids": [...]}` answer `{"resources": [...]}`, newest first (not the asked order);
 * `GET /lookup?per_page=n` answers in pages (`page`, then `links.next` and `Link: <...>; rel="next"`).
 */

export interface FeedItem {
  id: string;
  /** ISO-8601 with milliseconds, or epoch seconds with `epochTimes`. */
  ts: string | number;
  title: string;
  level: string;
}

export interface FeedServer extends RunningServer {
  readonly requests: RecordedRequest[];
  /** Adds an item at `at` (epoch ms). */
  add(at: number, fields?: Partial<FeedItem>): FeedItem;
  /** Rate-limit headers to send: `X-Remaining` and `X-Reset` (epoch seconds). */
  limit: { remaining: number; resetAt: number } | undefined;
  /** The details endpoint's own limit (`/lookup`), counted apart from `/events`', same headers. */
  lookupLimit: { remaining: number; resetAt: number } | undefined;
  /** Origin of the `links.next` / `Link` URLs (another origin, to test that it is refused). */
  linkOrigin: string | undefined;
  /** Deletes an item: its details answer 404 from now on (it stays listed, as a stale list would). */
  remove(id: string): void;
  /** The POST bodies as the server parsed them, in arrival order. */
  readonly bodies: Record<string, unknown>[];
}

export const FEED_TOKEN = 'feed-bearer-token';
export const FEED_USER = 'feed-user';
export const FEED_PASSWORD = 'feed-password';
export const FEED_KEY = 'feed-api-key';

const accepted = [
  `Bearer ${FEED_TOKEN}`,
  `Basic ${Buffer.from(`${FEED_USER}:${FEED_PASSWORD}`).toString('base64')}`,
];

const parseTime = (value: unknown): number | undefined => {
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value);
  if (/^\d+$/.test(text)) return Number(text) < 1e12 ? Number(text) * 1000 : Number(text);
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
};

export const startFeedServer = async (options: { epochTimes?: boolean } = {}): Promise<FeedServer> => {
  const items: { at: number; item: FeedItem }[] = [];
  const requests: RecordedRequest[] = [];
  let counter = 0;
  const state: Pick<FeedServer, 'limit' | 'lookupLimit' | 'linkOrigin'> = {
    limit: undefined,
    lookupLimit: undefined,
    linkOrigin: undefined,
  };

  const bodies: Record<string, unknown>[] = [];
  const removed = new Set<string>();
  const app = new Hono();
  app.use(recordRequests(requests));
  app.use(async (c, next) => {
    const auth = c.req.header('authorization');
    if (!accepted.includes(auth ?? '') && c.req.header('x-api-key') !== FEED_KEY) {
      return c.json({ error: 'unauthorized' }, 401);
    }
    await next();
  });
  /** A POST body as its Content-Type says; `undefined` for a type the feed does not take. */
  const bodyOf = async (c: Context): Promise<Record<string, unknown> | undefined> => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
    const text = await c.req.text();
    let body: Record<string, unknown> | undefined;
    if (type === 'application/json') body = JSON.parse(text) as Record<string, unknown>;
    if (type === 'application/x-www-form-urlencoded') {
      const form = new URLSearchParams(text);
      body = Object.fromEntries(
        [...form.keys()].map((key) => [key, form.getAll(key).length > 1 ? form.getAll(key) : form.get(key)]),
      );
    }
    if (body) bodies.push(body);
    return body;
  };
  const live = (ids: readonly string[]) =>
    items
      .filter(({ item }) => ids.includes(item.id) && !removed.has(item.id))
      .sort((a, b) => b.at - a.at)
      .map(({ item }) => item);
  app.get('/events/:id', (c) => {
    const [found] = live([c.req.param('id')]);
    return found ? c.json(found) : c.json({ error: 'not found' }, 404);
  });
  // The details endpoint's own limit: X-Remaining/X-Reset on every answer, 429 once spent.
  app.use('/lookup', async (c, next) => {
    const limit = state.lookupLimit;
    if (!limit) return next();
    if (Date.now() >= limit.resetAt) limit.remaining = 100;
    if (limit.remaining <= 0) {
      c.header('X-Remaining', '0');
      c.header('X-Reset', String(Math.ceil(limit.resetAt / 1000)));
      return c.json({ error: 'slow down' }, 429);
    }
    limit.remaining--;
    await next();
    c.header('X-Remaining', String(limit.remaining));
    c.header('X-Reset', String(Math.ceil(limit.resetAt / 1000)));
  });
  app.get('/lookup', (c) => {
    const found = live(c.req.queries('ids') ?? []);
    const per = Number(c.req.query('per_page') ?? found.length);
    if (!(per > 0)) return c.json({ resources: found });
    // Paged with ?per_page=n: `page` (1-based), then `links.next` and `Link` to the next page.
    const pageNumber = Number(c.req.query('page') ?? 1);
    const resources = found.slice((pageNumber - 1) * per, pageNumber * per);
    if (pageNumber * per >= found.length) return c.json({ resources, links: { next: null } });
    const next = new URL(c.req.url);
    if (state.linkOrigin) {
      const origin = new URL(state.linkOrigin);
      next.protocol = origin.protocol;
      next.host = origin.host;
    }
    next.searchParams.set('page', String(pageNumber + 1));
    c.header('Link', `<${next}>; rel="next"`);
    return c.json({ resources, links: { next: next.toString() } });
  });
  app.post('/lookup', async (c) => {
    const body = await bodyOf(c);
    if (!body) return c.json({ error: 'unsupported media type' }, 415);
    return c.json({ resources: live((body.ids as string[] | undefined) ?? []) });
  });
  app.on(['GET', 'POST'], '/events', async (c) => {
    if (state.limit) {
      c.header('X-Remaining', String(state.limit.remaining));
      c.header('X-Reset', String(Math.ceil(state.limit.resetAt / 1000)));
      if (state.limit.remaining <= 0 && Date.now() < state.limit.resetAt)
        return c.json({ error: 'slow down' }, 429);
      if (Date.now() >= state.limit.resetAt) state.limit.remaining = 100;
      state.limit.remaining--;
      c.header('X-Remaining', String(state.limit.remaining));
    }
    const input: Record<string, unknown> | undefined =
      c.req.method === 'POST' ? await bodyOf(c) : c.req.query();
    if (!input) return c.json({ error: 'unsupported media type' }, 415);
    const since = parseTime(input.since) ?? Number.NEGATIVE_INFINITY;
    const until = parseTime(input.until) ?? Number.POSITIVE_INFINITY;
    const limit = Number(input.limit ?? 10);
    const desc = input.order === 'desc';
    const sorted = items
      .filter(({ at }) => at >= since && at < until)
      .sort((a, b) => (a.at - b.at) * (desc ? -1 : 1));
    let skip = 0;
    if (input.page !== undefined) skip = (Number(input.page) - 1) * limit;
    if (input.offset !== undefined) skip = Number(input.offset);
    if (input.cursor !== undefined && input.cursor !== null)
      skip = Number(Buffer.from(String(input.cursor), 'base64url').toString());
    const page = sorted.slice(skip, skip + limit).map(({ item }) => item);
    const more = skip + page.length < sorted.length;
    const nextCursor = more ? Buffer.from(String(skip + page.length)).toString('base64url') : null;
    let nextUrl: string | null = null;
    if (more) {
      const next = new URL(c.req.url);
      if (state.linkOrigin) {
        const origin = new URL(state.linkOrigin);
        next.protocol = origin.protocol;
        next.host = origin.host;
      }
      for (const [key, value] of Object.entries(input)) next.searchParams.set(key, String(value));
      next.searchParams.delete('page');
      next.searchParams.set('offset', String(skip + page.length));
      nextUrl = next.toString();
      c.header('Link', `<${nextUrl}>; rel="next"`);
    }
    if (input.shape === 'array') return c.json(page);
    if (input.shape === 'ids') {
      return c.json({
        data: { items: page.map((item) => item.id) },
        meta: { more, next_cursor: nextCursor },
      });
    }
    return c.json({
      data: { items: page },
      meta: { more, next_cursor: nextCursor },
      links: { next: nextUrl },
    });
  });

  const server = await listen(app);
  return Object.assign(state, {
    ...server,
    requests,
    bodies,
    remove(id: string) {
      removed.add(id);
    },
    add(at: number, fields: Partial<FeedItem> = {}) {
      counter++;
      const item: FeedItem = {
        id: `e-${counter}`,
        ts: options.epochTimes ? Math.floor(at / 1000) : new Date(at).toISOString(),
        title: `event ${counter}`,
        level: ['low', 'medium', 'high', 'critical'][counter % 4]!,
        ...fields,
      };
      items.push({ at, item });
      return item;
    },
  });
};
