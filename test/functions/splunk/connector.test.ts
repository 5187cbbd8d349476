import { describe, expect, it } from 'vitest';
import { splunk } from '../../../functions/splunk/connector.js';
import { withSearchCommand } from '../../../functions/splunk/search-job.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { splunkExampleSource } from '../../helpers/vendors/aws-splunk-examples.js';

const MINUTE = 60_000;
const track = closeAfterEach();

const start = async () => {
  const source = await splunkExampleSource();
  track(source);
  return { source, server: source.server };
};

describe('splunk connector, with the notable-events example', () => {
  it('creates a form-encoded job over the window, polls it until done, pages its results and deletes it', async () => {
    const { source, server } = await start();
    server.pollsToFinish = 4;
    const now = Date.now();
    const ids = Array.from({ length: 12 }, (_, i) => server.add(now - 50 * MINUTE + i * MINUTE).event_id);
    const instance = kitInstance(
      splunk,
      { ...source, params: { ...source.params, page_size: 5 } },
      new MemoryStateStore(),
      {
        first_fetch: '1 hour',
      },
    );

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 12 });
    expect(instance.sink.pushedIds()).toEqual(ids);
    const calls = server.requests.map(
      (request) => `${request.method} ${request.path.replace(/jobs\/[\d.]+/, 'jobs/<sid>')}`,
    );
    expect(calls).toEqual([
      'POST /services/search/jobs',
      'GET /services/search/jobs/<sid>',
      'GET /services/search/jobs/<sid>',
      'GET /services/search/jobs/<sid>',
      'GET /services/search/jobs/<sid>',
      'GET /services/search/jobs/<sid>/results',
      'GET /services/search/jobs/<sid>/results',
      'GET /services/search/jobs/<sid>/results',
      'DELETE /services/search/jobs/<sid>',
    ]);
    const results = server.requests.filter((request) => request.path.endsWith('/results'));
    expect(results.map((request) => [request.query.offset, request.query.count])).toEqual([
      ['0', '5'],
      ['5', '5'],
      ['10', '5'],
    ]);
    expect(server.jobs.size).toBe(0);
  });

  it('binds earliest_time and latest_time to the window and the look-back, and sends the token', async () => {
    const { source, server } = await start();
    const instance = kitInstance(splunk, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      look_back: 5,
    });
    await instance.fetch();
    const firstEnd = Date.parse((await instance.store.read(instance.document.id))!.lastRun.time as string);

    await instance.fetch();

    const creates = server.requests.filter((request) => request.method === 'POST');
    expect(creates).toHaveLength(2);
    expect(creates[0]!.headers.authorization).toBe(`Bearer ${server.token}`);
    expect(creates[0]!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    const sent = server.bodies;
    expect(sent[0]).toMatchObject({
      search: expect.stringMatching(/^search `notable` \| sort 0 \+_time, \+event_id \| head \d+$/),
      output_mode: 'json',
    });
    const second = sent[1]!;
    // The second window starts look_back (5 minutes) before the first one's end.
    expect(Math.round(Number(second.earliest_time) * 1000)).toBe(firstEnd - 5 * MINUTE);
    expect(Number(second.latest_time)).toBeGreaterThan(Number(second.earliest_time));
  });

  it('maps a notable: rule title, urgency as severity, event_id, _time as occurred, labels', async () => {
    const { source, server } = await start();
    const notable = server.add(Date.now() - 2 * MINUTE, { urgency: 'critical' });
    const instance = kitInstance(splunk, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    await instance.fetch();

    const [incident] = instance.sink.batches[0]!.incidents;
    expect(incident).toMatchObject({
      name: notable.rule_title,
      occurred: new Date(Date.parse(notable._time)).toISOString(),
      dbotMirrorId: notable.event_id,
      details: notable.rule_description,
      severity: 4,
      type: 'Splunk Notable Event',
    });
    expect(incident!.labels).toEqual(
      expect.arrayContaining([{ type: 'security_domain', value: notable.security_domain }]),
    );
    expect(JSON.parse(incident!.rawJSON!)).toEqual(notable);
  });

  it('fails the fetch with the job’s own message when the search job fails, and the cursor stays', async () => {
    const { source, server } = await start();
    server.add(Date.now() - MINUTE);
    server.failNextJob("Error in 'lookup' command: Could not find all of the specified lookup fields.");
    const store = new MemoryStateStore();
    const instance = kitInstance(splunk, source, store, { first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'error', error: { code: 'SOURCE_HTTP' } });
    expect(outcome.error?.message).toContain("FATAL: Error in 'lookup' command");
    expect(outcome.error?.message).toContain('Check params.search');
    expect((await store.read(instance.document.id))?.lastRun).toEqual({});
    expect(server.jobs.size).toBe(0);
  });

  it('cancels a job that outlives job_timeout_seconds and says so', async () => {
    const { source, server } = await start();
    server.pollsToFinish = 1_000;
    const instance = kitInstance(
      splunk,
      { ...source, params: { ...source.params, job_timeout_seconds: 1 } },
      new MemoryStateStore(),
    );

    const tested = await instance.test();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_TIMEOUT' } });
    expect(tested.error?.message).toContain('was cancelled');
    expect(server.jobs.size).toBe(0);
  });

  it('reports a search splunkd refuses with its 400 message', async () => {
    const { source } = await start();
    const instance = kitInstance(
      splunk,
      { ...source, params: { ...source.params, search: '| notable_typo' } },
      new MemoryStateStore(),
    );

    const tested = await instance.test();

    expect(tested).toMatchObject({ ok: false, error: { code: 'SOURCE_HTTP' } });
    expect(tested.error?.message).toContain("Unknown search command 'notable_typo'");
  });

  it('retries a job refused over the search concurrency quota (503)', async () => {
    const { source, server } = await start();
    server.add(Date.now() - MINUTE);
    server.rateLimitNext(1);
    const instance = kitInstance(splunk, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    expect(
      server.requests.filter((request) => request.method === 'POST').map((request) => request.status),
    ).toEqual([503, 201]);
  });

  it('prefixes a search that does not start with a command, as Splunk Web does', () => {
    expect(withSearchCommand('`notable`')).toBe('search `notable`');
    expect(withSearchCommand('search index=main')).toBe('search index=main');
    expect(withSearchCommand('| tstats count')).toBe('| tstats count');
  });
});
