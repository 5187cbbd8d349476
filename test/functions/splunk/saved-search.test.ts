import { describe, expect, it } from 'vitest';
import { splunk } from '../../../functions/splunk/connector.js';
import { splunkParams } from '../../../functions/splunk/params.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { splunkExampleSource } from '../../helpers/vendors/aws-splunk-examples.js';

const MINUTE = 60_000;
const RULE = 'Endpoint - Malware Detected - Rule';
const APP = 'DA-ESS-EndpointProtection';
const track = closeAfterEach();

/** The notable-events example switched from its SPL to an ES correlation search saved in its app. */
const start = async (params: Record<string, unknown> = {}) => {
  const source = await splunkExampleSource();
  track(source);
  const { search: _spl, ...example } = source.params;
  return {
    server: source.server,
    source: { ...source, params: { ...example, saved_search: RULE, app: APP, ...params } },
  };
};

describe('splunk connector with a saved search', () => {
  it('dispatches it in its app over each window, polls and reads the job, and brings every event once', async () => {
    const { source, server } = await start();
    server.addSavedSearch({ name: RULE, search: 'search `notable`', app: APP });
    const now = Date.now();
    const ids = Array.from({ length: 7 }, (_, i) => server.add(now - 40 * MINUTE + i * MINUTE).event_id);
    const instance = kitInstance(splunk, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      look_back: 5,
    });

    const first = await instance.fetch();
    const firstEnd = Date.parse((await instance.store.read(instance.document.id))!.lastRun.time as string);
    const later = server.add(Date.now() - 1_000).event_id;
    const second = await instance.fetch();

    expect(first).toMatchObject({ status: 'ok', pushed: 7 });
    expect(second).toMatchObject({ status: 'ok', pushed: 1 });
    expect(instance.sink.pushedIds()).toEqual([...ids, later]);
    const namespace = `/servicesNS/nobody/${APP}`;
    const calls = server.requests.map(
      (request) => `${request.method} ${request.path.replace(/jobs\/[^/]+/, 'jobs/<sid>')}`,
    );
    expect(calls.slice(0, 6)).toEqual([
      `POST ${namespace}/saved/searches/${encodeURIComponent(RULE)}/dispatch`,
      `GET ${namespace}/search/jobs/<sid>`,
      `GET ${namespace}/search/jobs/<sid>`,
      `GET ${namespace}/search/jobs/<sid>/results`,
      `DELETE ${namespace}/search/jobs/<sid>`,
      `POST ${namespace}/saved/searches/${encodeURIComponent(RULE)}/dispatch`,
    ]);
    const [once, twice] = server.bodies;
    expect(once).toMatchObject({ trigger_actions: '0', force_dispatch: '1', 'dispatch.max_count': '50000' });
    // The second window starts look_back (5 minutes) before the first one's end, and ends at its run.
    expect(Math.round(Number(twice!['dispatch.earliest_time']) * 1000)).toBe(firstEnd - 5 * MINUTE);
    expect(Number(twice!['dispatch.latest_time'])).toBeGreaterThan(firstEnd / 1000);
    expect(server.actionsTriggered).toBe(0);
    expect(server.jobs.size).toBe(0);
  });

  it('returns the oldest max_fetch of a window, in time order, although the saved search answers newest first', async () => {
    const { source, server } = await start();
    server.addSavedSearch({ name: RULE, search: 'search `notable`', app: APP });
    const now = Date.now();
    const ids = Array.from({ length: 9 }, (_, i) => server.add(now - 30 * MINUTE + i * MINUTE).event_id);
    const instance = kitInstance(splunk, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 4,
    });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 9 });
    expect(instance.sink.batches[0]!.incidents.map((incident) => incident.dbotMirrorId)).toEqual(
      ids.slice(0, 4),
    );
    expect(instance.sink.pushedIds()).toEqual(ids);
  });

  it.each([
    ['a name Splunk does not know', { saved_search: 'Endpoint - Malware Detected - Rul' }],
    ['the right name outside its app', { app: undefined }],
    ['a private search of another owner', { owner: 'admin' }, 'private'],
  ])('fails the Test button for %s with Splunk’s 404 and what to check', async (_, params, sharing?) => {
    const { source, server } = await start(params);
    server.addSavedSearch({
      name: RULE,
      search: 'search `notable`',
      app: APP,
      ...(sharing ? { sharing: 'user' as const, owner: 'alice' } : {}),
    });
    const instance = kitInstance(splunk, source, new MemoryStateStore());

    const tested = await instance.test();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_HTTP' } });
    expect(tested.error?.message).toMatch(
      /^Splunk has no saved search ".+" in \/services(NS\/[^/]+\/[^/]+)?\/ \(404\)/,
    );
    expect(tested.error?.message).toContain('Check params.saved_search, and params.app and params.owner');
    expect(tested.error?.message).toContain('Could not find object id=');
    expect(server.jobs.size).toBe(0);
  });

  it('reaches a private saved search with its owner', async () => {
    const { source, server } = await start({ owner: 'alice' });
    server.addSavedSearch({
      name: RULE,
      search: 'search `notable`',
      app: APP,
      sharing: 'user',
      owner: 'alice',
    });
    server.add(Date.now() - MINUTE);
    const instance = kitInstance(splunk, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    expect(server.requests[0]!.path).toBe(
      `/servicesNS/alice/${APP}/saved/searches/${encodeURIComponent(RULE)}/dispatch`,
    );
  });

  it('fails a window whose job stopped at max_results instead of skipping events, and commits nothing', async () => {
    const { source, server } = await start({ max_results: 5 });
    server.addSavedSearch({ name: RULE, search: 'search `notable`', app: APP });
    for (let i = 0; i < 8; i++) server.add(Date.now() - 20 * MINUTE + i * MINUTE);
    const store = new MemoryStateStore();
    const instance = kitInstance(splunk, source, store, { first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'error', pushed: 0, error: { code: 'SOURCE_BAD_RESPONSE' } });
    expect(outcome.error?.message).toContain(
      `The saved search "${RULE}" stopped at params.max_results (5) results`,
    );
    expect(outcome.error?.message).toContain('Raise params.max_results, or narrow the saved search.');
    expect((await store.read(instance.document.id))?.lastRun).toEqual({});
    expect(server.jobs.size).toBe(0);
  });

  it.each([
    [
      'both a search and a saved search',
      { search: 'search `notable`', saved_search: RULE },
      'saved_search',
      'cannot be set with "search"',
    ],
    ['neither', {}, 'search', 'is required: an SPL search such as "search `notable`", or "saved_search"'],
    ['an owner without its app', { saved_search: RULE, owner: 'alice' }, 'owner', 'is used only with "app"'],
    [
      'a namespace with a slash',
      { saved_search: RULE, app: 'search/../x' },
      'app',
      'must be a Splunk app folder name',
    ],
    [
      'an owner that climbs out of the namespace',
      { saved_search: RULE, app: APP, owner: '..' },
      'owner',
      'must be a Splunk user name',
    ],
  ])('refuses %s, naming the field', (_, params, field, message) => {
    const parsed = splunkParams.safeParse({ url: 'https://splunk.example.com:8089', ...params });

    expect(parsed.success).toBe(false);
    expect(parsed.error!.issues).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: [field], message: expect.stringContaining(message) }),
      ]),
    );
  });
});
