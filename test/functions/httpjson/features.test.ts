import { afterEach, describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { ConfigError, SourceError } from '../../../shared/errors.js';
import { windowFetch } from '../../../shared/lookback/window-fetch.js';
import { httpJsonContext } from './context.js';
import {
  FEED_KEY,
  FEED_PASSWORD,
  FEED_TOKEN,
  FEED_USER,
  type FeedServer,
  startFeedServer,
} from './feed-server.js';

const MINUTE = 60_000;
const servers: FeedServer[] = [];
const aFeed = async (options?: { epochTimes?: boolean }) => {
  const feed = await startFeedServer(options);
  servers.push(feed);
  return feed;
};

afterEach(async () => {
  for (const server of servers.splice(0)) await server.close();
});

/** Parameters for the feed: its wrapped shape, bearer auth, ISO times; `change` overrides. */
const feedParams = (feed: FeedServer, change: Record<string, unknown> = {}) => ({
  url: `${feed.url}/events`,
  auth: { type: 'bearer' },
  query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}' },
  items_path: 'data.items',
  fields: { id: 'id', occurred: 'ts', name: '{{title}}', severity: 'level' },
  // Small pages need many requests to fill the runner's largest page (1000).
  max_pages: 500,
  ...change,
});
const bearer = { secrets: { token: FEED_TOKEN } };

/** Items spread one a minute over the last `count` minutes; returns their ids, oldest first. */
const fill = (feed: FeedServer, count: number, now = Date.now()) =>
  Array.from({ length: count }, (_, i) => feed.add(now - (count - i) * MINUTE).id);

/** One call of the connector for the last `minutes`, as the runner makes it. */
const window = (limit: number, minutes = 120, now = Date.now()) => ({
  start: new Date(now - minutes * MINUTE),
  end: new Date(now),
  limit,
});

const fetchIds = async (
  params: Record<string, unknown>,
  limit: number,
  secrets: { secrets: Record<string, string> } = bearer,
) => {
  const { ctx } = httpJsonContext(params, secrets);
  const page = await httpjson.fetchWindow(ctx, window(limit));
  return page.events.map((item) => (item as { id: string }).id);
};

const queries = (feed: FeedServer) => feed.requests.map((request) => request.query);

describe('httpjson chained requests', () => {
  const listIds = (
    feed: FeedServer,
    details: Record<string, unknown>,
    change: Record<string, unknown> = {},
  ) =>
    feedParams(feed, {
      query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', shape: 'ids' },
      pagination: { type: 'cursor', cursor_path: 'meta.next_cursor', param: 'cursor' },
      details,
      ...change,
    });

  it('lists ids, then GETs the details per id, skipping one deleted in between', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 6);
    feed.remove(ids[2]!);

    const got = await fetchIds(listIds(feed, { url: `${feed.url}/events/{{id}}` }, { page_size: 4 }), 100);

    expect(got).toEqual(ids.filter((id) => id !== ids[2]));
    const detailPaths = feed.requests
      .filter((request) => request.path.startsWith('/events/'))
      .map((r) => r.path);
    expect(detailPaths).toEqual(ids.map((id) => `/events/${id}`));
    expect(feed.requests.every((request) => request.headers.authorization === `Bearer ${FEED_TOKEN}`)).toBe(
      true,
    );
  });

  it('asks details in batches (repeated ids in the query), keeping the listed order the source does not keep', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 7);

    const got = await fetchIds(
      listIds(
        feed,
        {
          url: `${feed.url}/lookup`,
          query_params: { ids: '{{ids}}' },
          items_path: 'resources',
          batch_size: 3,
        },
        { page_size: 7 },
      ),
      100,
    );

    expect(got).toEqual(ids);
    const lookups = feed.requests.filter((request) => request.path === '/lookup');
    expect(lookups).toHaveLength(3);
    // One parameter per id: the recorder keeps the last of each batch.
    expect(lookups.map((request) => request.query.ids)).toEqual([ids[2], ids[5], ids[6]]);
  });

  it('POSTs the ids of a batch in a JSON body', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 5);

    const got = await fetchIds(
      listIds(feed, {
        url: `${feed.url}/lookup`,
        method: 'POST',
        body: { ids: '{{ids}}' },
        items_path: 'resources',
        batch_size: 2,
      }),
      100,
    );

    expect(got).toEqual(ids);
    expect(feed.bodies.map((body) => body.ids)).toEqual([ids.slice(0, 2), ids.slice(2, 4), ids.slice(4)]);
  });

  it('says what to check when the details match none of the listed ids', async () => {
    const feed = await aFeed();
    fill(feed, 2);
    const { ctx } = httpJsonContext(
      listIds(feed, {
        url: `${feed.url}/lookup`,
        query_params: { ids: '{{ids}}' },
        items_path: 'resources',
        match_field: 'title',
      }),
      bearer,
    );

    await expect(httpjson.fetchWindow(ctx, window(100))).rejects.toThrow(
      /none has a listed id at "title" \(details.match_field/,
    );
  });
});

describe('httpjson pagination', () => {
  it('pages by page number until it has the window limit, oldest first', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 25);

    const got = await fetchIds(
      feedParams(feed, { page_size: 10, pagination: { type: 'page', param: 'page' } }),
      25,
    );

    expect(got).toEqual(ids);
    expect(queries(feed).map((query) => [query.page, query.limit])).toEqual([
      ['1', '10'],
      ['2', '10'],
      ['3', '10'],
    ]);
  });

  it('pages by offset while the body says there is more', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 12);

    const got = await fetchIds(
      feedParams(feed, {
        page_size: 5,
        pagination: { type: 'offset', param: 'offset', more_path: 'meta.more' },
      }),
      100,
    );

    expect(got).toEqual(ids);
    expect(queries(feed).map((query) => query.offset)).toEqual(['0', '5', '10']);
  });

  it('sends a cursor back in a POST body, with the window as epoch seconds', async () => {
    const feed = await aFeed({ epochTimes: true });
    const ids = fill(feed, 7);

    const got = await fetchIds(
      feedParams(feed, {
        method: 'POST',
        query_params: {},
        body: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', cursor: '{{cursor}}' },
        time_format: 'epoch_seconds',
        page_size: 3,
        pagination: { type: 'cursor', cursor_path: 'meta.next_cursor' },
      }),
      100,
    );

    expect(got).toEqual(ids);
    expect(feed.requests.map((request) => request.method)).toEqual(['POST', 'POST', 'POST']);
  });

  it('sends a form body when the Content-Type header declares one, and the window in a Jira-style pattern', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 5);

    const got = await fetchIds(
      feedParams(feed, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' },
        query_params: {},
        body: {
          since: '{{start}}',
          until: '{{end}}',
          limit: '{{limit}}',
          level: ['low', 'medium', 'high', 'critical'],
        },
        time_format: "yyyy-MM-dd'T'HH:mm:ssXXX",
        time_zone: 'Europe/Berlin',
        page_size: 10,
        pagination: { type: 'none' },
      }),
      100,
    );

    expect(got).toEqual(ids);
    const [request] = feed.requests;
    expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded; charset=utf-8');
    expect(feed.bodies[0]).toMatchObject({ limit: '10', level: ['low', 'medium', 'high', 'critical'] });
    expect(feed.bodies[0]!.since).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+0[12]:00$/);
  });

  it('sends a JSON body as application/json when body_type says json', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 3);

    const got = await fetchIds(
      feedParams(feed, {
        method: 'POST',
        query_params: {},
        body_type: 'json',
        body: { since: '{{start}}', limit: '{{limit}}' },
      }),
      100,
    );

    expect(got).toEqual(ids);
    expect(feed.requests[0]!.headers['content-type']).toBe('application/json');
    expect(feed.bodies[0]!.limit).toBe(100);
  });

  it('follows a next URL in the body, and a Link header', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 9);

    const byBody = await fetchIds(
      feedParams(feed, { page_size: 4, pagination: { type: 'next_url', path: 'links.next' } }),
      100,
    );
    const byLink = await fetchIds(feedParams(feed, { page_size: 4, pagination: { type: 'link' } }), 100);

    expect(byBody).toEqual(ids);
    expect(byLink).toEqual(ids);
  });

  it('pages by time when the source has no pagination but filters and sorts by time', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 30);

    const got = await fetchIds(feedParams(feed, { page_size: 10, max_pages: 100 }), 25);

    expect(got).toEqual(ids.slice(0, 25));
    expect(feed.requests.length).toBeGreaterThanOrEqual(3);
  });

  it('refuses to send the credentials to a next link on another origin', async () => {
    const feed = await aFeed();
    fill(feed, 5);
    feed.linkOrigin = 'http://attacker.example';

    await expect(
      fetchIds(feedParams(feed, { page_size: 2, pagination: { type: 'link' } }), 100),
    ).rejects.toThrow(
      /Link rel="next" points to http:\/\/attacker\.example(:\d+)?, not http:\/\/127\.0\.0\.1/,
    );
  });

  it('fails with a clear message when a window needs more than max_pages requests', async () => {
    const feed = await aFeed();
    fill(feed, 30);

    await expect(
      fetchIds(
        feedParams(feed, {
          page_size: 2,
          max_pages: 3,
          order: 'desc',
          query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', order: 'desc' },
          pagination: { type: 'link' },
        }),
        100,
      ),
    ).rejects.toThrow('Read max_pages (3) pages of');
  });

  it('says so when a source without pagination returns a full page it cannot read past', async () => {
    const feed = await aFeed();
    fill(feed, 10);

    await expect(
      fetchIds(
        feedParams(feed, { time_filter: 'client', query_params: { limit: '{{limit}}' }, page_size: 5 }),
        100,
      ),
    ).rejects.toThrow('returned a full page (5 items) and "pagination" is "none"');
  });
});

describe('httpjson windows', () => {
  it('reads a newest-first source whole and hands the runner the oldest of the window first', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 10);

    const got = await fetchIds(
      feedParams(feed, {
        order: 'desc',
        query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', order: 'desc' },
        page_size: 3,
        pagination: { type: 'link' },
      }),
      4,
    );

    expect(got).toEqual(ids.slice(0, 4));
    expect(feed.requests).toHaveLength(4);
  });

  it('filters by time itself when the source cannot: skips what is before the window, stops after it', async () => {
    const feed = await aFeed();
    const now = Date.now();
    feed.add(now - 300 * MINUTE, { id: 'too-old' });
    const inside = [feed.add(now - 90 * MINUTE).id, feed.add(now - 30 * MINUTE).id];
    feed.add(now + 5 * MINUTE, { id: 'too-new' });
    feed.add(now + 10 * MINUTE, { id: 'later-still' });

    const { ctx } = httpJsonContext(
      feedParams(feed, {
        time_filter: 'client',
        query_params: { limit: '{{limit}}' },
        page_size: 1,
        max_pages: 100,
        pagination: { type: 'link' },
      }),
      bearer,
    );
    const page = await httpjson.fetchWindow(ctx, window(100, 120, now));

    expect(page.events.map((item) => (item as { id: string }).id)).toEqual(inside);
    expect(feed.requests).toHaveLength(4);
  });

  it('keeps a whole-second item that the source filtered on its finer clock', async () => {
    const feed = await aFeed();
    const start = Math.floor(Date.now() / 1000) * 1000 - 60_000 + 500;
    // Created at start + 200 ms; the source writes only the second, before the window's start.
    feed.add(start + 200, { id: 'rounded', ts: `${new Date(start + 200).toISOString().slice(0, 19)}Z` });

    const { ctx } = httpJsonContext(feedParams(feed), bearer);
    const page = await httpjson.fetchWindow(ctx, {
      start: new Date(start),
      end: new Date(start + 30_000),
      limit: 10,
    });

    expect(page.events).toHaveLength(1);
  });

  it('refuses items out of the configured order rather than lose some', async () => {
    const feed = await aFeed();
    fill(feed, 3);

    await expect(
      fetchIds(
        feedParams(feed, {
          query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', order: 'desc' },
        }),
        10,
      ),
    ).rejects.toThrow('but "order" is "asc" (oldest first)');
  });

  it('fetches through the runner look-back: every item of a busy window once, the cursor at its end', async () => {
    const feed = await aFeed();
    const now = Date.now();
    const ids = fill(feed, 45, now);
    const { ctx } = httpJsonContext(feedParams(feed, { page_size: 10, pagination: { type: 'link' } }), {
      ...bearer,
      now: new Date(now),
      settings: { maxFetch: 1000, firstFetch: new Date(now - 3 * 60 * MINUTE) },
    });

    const result = await windowFetch(httpjson, ctx);

    expect(result.incidents.map((incident) => incident.dbotMirrorId)).toEqual(ids);
    expect(result.nextRun).toMatchObject({ time: new Date(now).toISOString() });
    expect(result.hasMore).toBe(false);
  });
});

describe('httpjson auth and mapping', () => {
  it('authenticates with basic credentials and with an API-key header', async () => {
    const feed = await aFeed();
    fill(feed, 2);

    const basic = await fetchIds(feedParams(feed, { auth: { type: 'basic' } }), 10, {
      secrets: { username: FEED_USER, password: FEED_PASSWORD },
    });
    const header = await fetchIds(feedParams(feed, { auth: { type: 'header', header: 'X-Api-Key' } }), 10, {
      secrets: { token: FEED_KEY },
    });

    expect(basic).toHaveLength(2);
    expect(header).toHaveLength(2);
    expect(feed.requests[1]?.headers['x-api-key']).toBe(FEED_KEY);
  });

  it('names the missing secret of the configured auth', async () => {
    const feed = await aFeed();
    const { ctx } = httpJsonContext(feedParams(feed, { auth: { type: 'basic' } }), {
      secrets: { username: FEED_USER },
    });

    const failure = httpjson.fetchWindow(ctx, window(10));

    await expect(failure).rejects.toBeInstanceOf(ConfigError);
    await expect(failure).rejects.toThrow('auth "basic" needs the secret "password"');
  });

  it('says where the items and their fields were expected when the response does not match', async () => {
    const feed = await aFeed();
    fill(feed, 1);

    await expect(fetchIds(feedParams(feed, { items_path: 'items' }), 10)).rejects.toThrow(
      'answered without an array at items_path "items" (found undefined); check items_path',
    );
  });

  it('keeps an item whose time cannot be read for the runner to quarantine, with the reason from toIncident', async () => {
    const feed = await aFeed();
    fill(feed, 1);
    const params = feedParams(feed, { fields: { id: 'id', occurred: 'created_at', name: 'title' } });
    const { ctx } = httpJsonContext(params, bearer);

    const page = await httpjson.fetchWindow(ctx, window(10));

    expect(page.events).toHaveLength(1);
    expect(() => httpjson.toIncident(page.events[0], ctx)).toThrow(
      'Item #0 of the response has no time at fields.occurred "created_at"',
    );
  });

  it('maps an item to an incident: templated name, mapped severity, labels, type, the item as rawJSON', () => {
    const { ctx } = httpJsonContext({
      url: 'https://feed.example/events',
      auth: { type: 'none' },
      query_params: { since: '{{start}}' },
      fields: {
        id: 'id',
        occurred: 'ts',
        name: '[{{level}}] {{title}}',
        severity: 'level',
        details: 'info.text',
      },
      labels: { host: 'info.host', level: 'level' },
      severity_map: { sev1: 'critical' },
      incident_type: 'Feed Event',
    });
    const item = {
      id: 7,
      ts: 1773144000,
      title: 'Disk full',
      level: 'sev1',
      info: { text: 'on db-2', host: 'db-2' },
    };

    expect(httpjson.toIncident(item, ctx)).toEqual({
      name: '[sev1] Disk full',
      occurred: '2026-03-10T12:00:00.000Z',
      rawJSON: JSON.stringify(item),
      dbotMirrorId: '7',
      details: 'on db-2',
      severity: 4,
      type: 'Feed Event',
      labels: [
        { type: 'host', value: 'db-2' },
        { type: 'level', value: 'sev1' },
      ],
    });
  });

  it('writes the instance query into the request where {{query}} stands', async () => {
    const feed = await aFeed();
    const { ctx } = httpJsonContext(
      feedParams(feed, { query_params: { since: '{{start}}', filter: 'level eq "{{query}}"' } }),
      { ...bearer, query: 'high' },
    );

    await httpjson.fetchWindow(ctx, window(10));

    expect(feed.requests[0]?.query.filter).toBe('level eq "high"');
  });
});

describe('httpjson rate limits', () => {
  const limited = (feed: FeedServer, maxWait: string) =>
    feedParams(feed, {
      page_size: 2,
      pagination: { type: 'link' },
      rate_limit: {
        remaining_header: 'X-Remaining',
        reset_header: 'X-Reset',
        reset_format: 'epoch_seconds',
        max_wait: maxWait,
      },
    });

  it('waits for the reset before the next page when no requests are left', async () => {
    const feed = await aFeed();
    const ids = fill(feed, 4);
    feed.limit = { remaining: 1, resetAt: Date.now() + 1_200 };

    const got = await fetchIds(limited(feed, '30 seconds'), 100);

    expect(got).toEqual(ids);
    const [first, second] = feed.requests;
    expect(second!.at).toBeGreaterThanOrEqual(Math.ceil(feed.limit.resetAt / 1000) * 1000 - 1_300);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(500);
    expect(feed.requests.map((request) => request.status)).toEqual([200, 200]);
  });

  it('stops with a rate-limit error, without calling again, when the reset is further than max_wait', async () => {
    const feed = await aFeed();
    fill(feed, 4);
    feed.limit = { remaining: 1, resetAt: Date.now() + 3_600_000 };

    const failure = fetchIds(limited(feed, '30 seconds'), 100);

    await expect(failure).rejects.toBeInstanceOf(SourceError);
    await expect(failure).rejects.toMatchObject({ code: 'SOURCE_RATE_LIMITED' });
    await expect(failure).rejects.toThrow(
      /X-Remaining: 0\) until .* longer than rate_limit.max_wait \(30 seconds\)/,
    );
    expect(feed.requests).toHaveLength(1);
  });
});
