import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { jiraSource } from '../../helpers/vendors/httpjson-examples.js';
import { httpJsonContext } from './context.js';
import { FEED_TOKEN, type FeedServer, startFeedServer } from './feed-server.js';

const MINUTE = 60_000;
const track = closeAfterEach();

/**
 * Jira Cloud, chained: the window's issue keys from a search that asks no field (Jira's largest pages,
 * up to 5000), then each batch's issues with every field by `key in (...)`, which Jira answers at most
 * 100 a page with a `nextPageToken` ("Search for issues using JQL enhanced search": maxResults).
 */
const jiraChained = (url: string) => ({
  url: `${url}/rest/api/3/search/jql`,
  auth: { type: 'basic' },
  query_params: {
    jql: 'project = SEC AND updated >= "{{start}}" AND updated < "{{end}}" ORDER BY updated ASC',
    maxResults: '{{limit}}',
    fields: 'key',
  },
  time_format: 'yyyy-MM-dd HH:mm',
  time_zone: 'America/New_York',
  items_path: 'issues',
  pagination: { type: 'cursor', cursor_path: 'nextPageToken', param: 'nextPageToken' },
  page_size: 1000,
  max_pages: 5,
  details: {
    url: `${url}/rest/api/3/search/jql`,
    query_params: { jql: 'key in ({{ids}})', fields: '*all', maxResults: 250 },
    id_path: 'key',
    items_path: 'issues',
    match_field: 'key',
    batch_size: 250,
    pagination: { type: 'cursor', cursor_path: 'nextPageToken', param: 'nextPageToken' },
  },
  fields: {
    id: 'key',
    occurred: 'fields.updated',
    occurred_format: "yyyy-MM-dd'T'HH:mm:ss.SSSZ",
    name: '{{key}}: {{fields.summary}}',
    severity: 'fields.priority.name',
  },
});

describe('httpjson details with their own pagination, against Jira Cloud', () => {
  it('follows each batch of details through its nextPageToken pages, and every issue arrives once', async () => {
    const { server, ...source } = track(await jiraSource());
    const now = Date.now();
    const keys = Array.from({ length: 600 }, (_, i) => server.add(now - 50 * MINUTE + i * 4_000 + 7).key);
    const instance = kitInstance(
      httpjson,
      { ...source, params: jiraChained(server.url) },
      new MemoryStateStore(),
      {
        first_fetch: '1 hour',
        max_fetch: 1000,
      },
    );

    const live = await instance.fetch();
    const again = await instance.fetch();

    expect(live).toMatchObject({ status: 'ok', pushed: 600 });
    expect(again).toMatchObject({ status: 'ok', pushed: 0 });
    expect(instance.sink.pushedIds()).toEqual(keys);
    const [incident] = instance.sink.batches.flatMap((batch) => batch.incidents);
    // The summary and priority exist only in the details: they were read, not the key-only listing.
    expect(incident!.name).toBe(`${keys[0]}: Phishing report #1`);
    const details = server.requests.filter((request) => request.query.jql?.startsWith('key in'));
    const firstFetch = details.slice(0, 7);
    // 600 keys in batches of 250, 100 issues a page: 3 + 3 + 1 requests, each batch's first without a token.
    expect(firstFetch.map((request) => request.query.nextPageToken === undefined)).toEqual([
      true,
      false,
      false,
      true,
      false,
      false,
      true,
    ]);
    expect(firstFetch[0]!.query.jql).toBe(`key in (${keys.slice(0, 250).join(',')})`);
    expect(server.requests.every((request) => request.status === 200)).toBe(true);
  });

  it('fails the fetch naming details.max_pages when a batch needs more pages, and commits nothing', async () => {
    const { server, ...source } = track(await jiraSource());
    const now = Date.now();
    for (let i = 0; i < 250; i++) server.add(now - 30 * MINUTE + i * 1_000);
    const params = jiraChained(server.url);
    const instance = kitInstance(
      httpjson,
      { ...source, params: { ...params, details: { ...params.details, max_pages: 2 } } },
      new MemoryStateStore(),
      { first_fetch: '1 hour', max_fetch: 1000 },
    );

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'error', pushed: 0 });
    expect(outcome.error?.message).toContain('Read details.max_pages (2) pages of details for 250 id(s)');
    expect(outcome.error?.message).toContain('Raise details.max_pages, or lower details.batch_size');
    expect((await instance.store.read(instance.document.id))?.lastRun.time).toBeUndefined();
  });
});

/** The feed listing ids, and `details` (merged into a batch-of-ids GET of /lookup) asking their details. */
const feedChained = (feed: FeedServer, details: Record<string, unknown>) => ({
  url: `${feed.url}/events`,
  auth: { type: 'bearer' },
  query_params: { since: '{{start}}', until: '{{end}}', limit: '{{limit}}', shape: 'ids' },
  items_path: 'data.items',
  pagination: { type: 'cursor', cursor_path: 'meta.next_cursor', param: 'cursor' },
  fields: { id: 'id', occurred: 'ts', name: '{{title}}' },
  max_pages: 500,
  details: {
    url: `${feed.url}/lookup`,
    query_params: { ids: '{{ids}}' },
    items_path: 'resources',
    ...details,
  },
});

describe('httpjson details paged by a next link', () => {
  const aFeed = async () => track(await startFeedServer());
  const params = (feed: FeedServer, pagination: Record<string, unknown>) =>
    feedChained(feed, { query_params: { ids: '{{ids}}', per_page: 2 }, batch_size: 5, pagination });
  const fill = (feed: FeedServer, count: number) =>
    Array.from({ length: count }, (_, i) => feed.add(Date.now() - (count - i) * MINUTE).id);
  const windowOf = (limit: number) => ({
    start: new Date(Date.now() - 120 * MINUTE),
    end: new Date(),
    limit,
  });

  it.each([
    ['Link rel="next"', { type: 'link' }],
    ['a next URL in the body', { type: 'next_url', path: 'links.next' }],
  ])('follows %s of the details answer to the end of each batch', async (_, pagination) => {
    const feed = await aFeed();
    const ids = fill(feed, 7);
    const { ctx } = httpJsonContext(params(feed, pagination), { secrets: { token: FEED_TOKEN } });

    const page = await httpjson.fetchWindow(ctx, windowOf(100));

    expect(page.events.map((event) => (event as { id: string }).id)).toEqual(ids);
    const lookups = feed.requests.filter((request) => request.path === '/lookup');
    // Batches of 5 and 2 ids, 2 details a page: pages 1, 2, 3, then 1.
    expect(lookups.map((request) => request.query.page ?? '1')).toEqual(['1', '2', '3', '1']);
    expect(lookups.every((request) => request.headers.authorization === `Bearer ${FEED_TOKEN}`)).toBe(true);
  });

  it('refuses a details next link to another origin before sending it anything', async () => {
    const feed = await aFeed();
    const elsewhere = track(await startFeedServer());
    fill(feed, 3);
    feed.linkOrigin = elsewhere.url;
    const { ctx } = httpJsonContext(params(feed, { type: 'link' }), { secrets: { token: FEED_TOKEN } });

    await expect(httpjson.fetchWindow(ctx, windowOf(100))).rejects.toThrow(
      `The source's details Link rel="next" points to ${new URL(elsewhere.url).origin}, not ${new URL(feed.url).origin}; Ferry does not send the instance's credentials to another origin.`,
    );
    expect(elsewhere.requests).toHaveLength(0);
  });
});

describe('httpjson details with their own rate limit', () => {
  it("paces the details by the details endpoint's own headers: the next batch waits for the reset, never meeting its 429", async () => {
    const feed = track(await startFeedServer());
    const now = Date.now();
    const ids = Array.from({ length: 6 }, (_, i) => feed.add(now - (6 - i) * MINUTE).id);
    const resetAt = Math.ceil((now + 1_500) / 1000) * 1000;
    feed.lookupLimit = { remaining: 1, resetAt };
    const { ctx } = httpJsonContext(
      feedChained(feed, {
        batch_size: 3,
        rate_limit: {
          remaining_header: 'X-Remaining',
          reset_header: 'X-Reset',
          reset_format: 'epoch_seconds',
        },
      }),
      { secrets: { token: FEED_TOKEN } },
    );

    const page = await httpjson.fetchWindow(ctx, {
      start: new Date(now - 120 * MINUTE),
      end: new Date(now),
      limit: 100,
    });

    expect(page.events.map((event) => (event as { id: string }).id)).toEqual(ids);
    const lookups = feed.requests.filter((request) => request.path === '/lookup');
    expect(lookups.map((request) => request.status)).toEqual([200, 200]);
    expect(lookups[1]!.at).toBeGreaterThanOrEqual(resetAt - 50);
  });
});
