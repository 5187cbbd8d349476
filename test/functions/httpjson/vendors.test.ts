import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { type ConformanceSource, kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { sleep } from '../../../shared/retry.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { gitHubSource, oktaSource, pagerDutySource } from '../../helpers/vendors/httpjson-examples.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const track = closeAfterEach();

/** An instance of the example config (verbatim but for the server's origin) run by the real runner. */
const instanceOf = (source: ConformanceSource, params: Record<string, unknown> = {}) =>
  kitInstance(httpjson, source, new MemoryStateStore(), params);

const incidentsOf = (instance: ReturnType<typeof instanceOf>) =>
  instance.sink.batches.flatMap((batch) => batch.incidents);

describe('httpjson with the PagerDuty example, against a PagerDuty incidents API', () => {
  it('reads every incident of the window through offset pagination, sending what PagerDuty expects', async () => {
    const { server, ...source } = track(await pagerDutySource());
    const now = Date.now();
    const ids = Array.from({ length: 150 }, (_, i) => server.add(now - 50 * MINUTE + i * 20 * SECOND).id);
    const instance = instanceOf(source, { first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 150 });
    expect(instance.sink.pushedIds()).toEqual(ids);
    expect(server.requests.map((request) => [request.query.offset, request.query.limit])).toEqual([
      ['0', '100'],
      ['100', '100'],
    ]);
    const [first] = server.requests;
    expect(first!.headers.authorization).toBe(`Token token=${server.token}`);
    expect(first!.headers.accept).toBe('application/vnd.pagerduty+json;version=2');
    expect(first!.query).toMatchObject({ sort_by: 'created_at:asc', time_zone: 'UTC' });
    // first_fetch "1 hour" before the run's now, a moment after the test's.
    expect(Date.parse(first!.query.since!) - (now - 60 * MINUTE)).toBeGreaterThanOrEqual(0);
    expect(Date.parse(first!.query.since!) - (now - 60 * MINUTE)).toBeLessThan(5 * SECOND);
  });

  it('maps an incident: the title, the urgency as severity, the service and number as labels', async () => {
    const { server, ...source } = track(await pagerDutySource());
    const high = server.add(Date.now() - 5 * MINUTE, { urgency: 'high' });
    server.add(Date.now() - 4 * MINUTE, { urgency: 'low' });
    const instance = instanceOf(source);

    await instance.fetch();

    const [first, second] = incidentsOf(instance);
    expect(first).toMatchObject({
      name: high.title,
      occurred: new Date(high.created_at).toISOString(),
      dbotMirrorId: high.id,
      details: high.description,
      severity: 3,
      type: 'PagerDuty Incident',
    });
    expect(first!.labels).toEqual(
      expect.arrayContaining([
        { type: 'service', value: 'Checkout' },
        { type: 'incident_number', value: String(high.incident_number) },
      ]),
    );
    expect(second!.severity).toBe(1);
    expect(JSON.parse(first!.rawJSON!)).toEqual(high);
  });

  it('keeps an incident created just after the cursor although PagerDuty writes only its second', async () => {
    const { server, ...source } = track(await pagerDutySource());
    const instance = instanceOf(source, { look_back: 0 });
    await instance.fetch();
    const cursor = Date.parse((await instance.store.read(instance.document.id))!.lastRun.time as string);
    while (Date.now() <= cursor + 1) await sleep(2);
    const late = server.add(cursor + 1);

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1, sourceIds: [late.id] });
  });
});

describe('httpjson with the Okta example, against an Okta System Log API', () => {
  it('follows Link rel="next" with its after cursor and maps severities', async () => {
    const { server, ...source } = track(await oktaSource());
    const now = Date.now();
    const events = Array.from({ length: 250 }, (_, i) => server.add(now - 30 * MINUTE + i * 5 * SECOND));
    // The example asks 1000 a page; 100 makes the 250 events take three pages.
    const instance = instanceOf(source, { page_size: 100, first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 250 });
    expect(instance.sink.pushedIds()).toEqual(events.map((event) => event.uuid));
    expect(server.requests.map((request) => request.query.after === undefined)).toEqual([true, false, false]);
    expect(server.requests.every((request) => request.headers.authorization === `SSWS ${server.token}`)).toBe(
      true,
    );
    expect(server.requests[2]!.query).toMatchObject({ sortOrder: 'ASCENDING', limit: '100' });
    const bySeverity = Object.fromEntries(
      incidentsOf(instance).map((incident) => [JSON.parse(incident.rawJSON!).severity, incident.severity]),
    );
    expect(bySeverity).toEqual({ INFO: 0.5, WARN: 2, ERROR: 3 });
    expect(incidentsOf(instance)[0]!.name).toMatch(/^Okta: /);
  });

  it('waits for X-Rate-Limit-Reset when X-Rate-Limit-Remaining reaches 0, without a 429', async () => {
    const { server, ...source } = track(await oktaSource());
    const now = Date.now();
    for (let i = 0; i < 150; i++) server.add(now - 20 * MINUTE + i * SECOND);
    server.quota.set(1, 1_500);
    const instance = instanceOf(source, { page_size: 100, first_fetch: '1 hour' });

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 150 });
    expect(server.requests.map((request) => request.status)).toEqual([200, 200]);
    const resetAt = Math.ceil(server.requests[0]!.at / 1000 + 1.5) * 1000;
    expect(server.requests[1]!.at).toBeGreaterThanOrEqual(resetAt - 1_000);
    expect(server.requests[1]!.at - server.requests[0]!.at).toBeGreaterThanOrEqual(1_000);
  });

  it('stops before the next request when the reset is beyond max_wait, and the next fetch resumes', async () => {
    const { server, ...source } = track(await oktaSource());
    const now = Date.now();
    for (let i = 0; i < 150; i++) server.add(now - 20 * MINUTE + i * SECOND);
    server.quota.set(1, 10 * MINUTE);
    const instance = instanceOf(source, { page_size: 100, first_fetch: '1 hour' });

    const stopped = await instance.fetch();
    server.quota.set(100, MINUTE);
    const resumed = await instance.fetch();

    expect(stopped).toMatchObject({ status: 'error', error: { code: 'SOURCE_RATE_LIMITED' } });
    expect(stopped.error?.message).toContain('(X-Rate-Limit-Remaining: 0) until');
    expect(stopped.error?.message).toContain('longer than rate_limit.max_wait (60 seconds)');
    expect(server.requests.slice(0, 1).map((request) => request.status)).toEqual([200]);
    expect(resumed).toMatchObject({ status: 'ok', pushed: 150 });
  });
});

describe('httpjson with the GitHub example, against GitHub Dependabot alerts', () => {
  it('pages with Link after-cursors, oldest first, and sends what GitHub requires', async () => {
    const { server, ...source } = track(await gitHubSource());
    const now = Date.now();
    const numbers = Array.from({ length: 250 }, (_, i) =>
      String(server.add(now - 10 * 86_400_000 + i * MINUTE).number),
    );
    const instance = instanceOf(source);

    const outcome = await instance.fetch();

    // max_fetch is 200: the runner drains the rest in a second fetch of the same invocation.
    expect(outcome).toMatchObject({ status: 'ok', pushed: 250, fetches: 2 });
    expect(instance.sink.pushedIds()).toEqual(numbers);
    const paths = server.requests.map((request) => request.path);
    expect(paths[0]).toBe('/repos/octo-org/octo-repo/dependabot/alerts');
    expect(paths[1]).toBe('/repositories/1296269/dependabot/alerts');
    expect(server.requests[1]!.query.after).toBeDefined();
    const [first] = server.requests;
    expect(first!.query).toEqual({ sort: 'created', direction: 'asc', per_page: '100' });
    expect(first!.headers).toMatchObject({
      authorization: `Bearer ${server.token}`,
      'user-agent': 'ferry-httpjson',
      'x-github-api-version': '2022-11-28',
      accept: 'application/vnd.github+json',
    });
  });

  it('maps an alert: advisory summary and package as the name, advisory severity, GHSA and CVE labels', async () => {
    const { server, ...source } = track(await gitHubSource());
    const alert = server.add(Date.now() - MINUTE);
    const instance = instanceOf(source);

    await instance.fetch();

    const [incident] = incidentsOf(instance);
    expect(incident).toMatchObject({
      name: `${alert.security_advisory.summary} (${alert.dependency.package.name})`,
      dbotMirrorId: String(alert.number),
      severity: { low: 1, medium: 2, high: 3, critical: 4 }[alert.security_advisory.severity],
      type: 'Dependabot Alert',
    });
    expect(incident!.labels).toEqual(
      expect.arrayContaining([
        { type: 'ghsa_id', value: alert.security_advisory.ghsa_id },
        { type: 'cve_id', value: alert.security_advisory.cve_id },
      ]),
    );
  });

  it('reads a 403 with x-ratelimit-remaining 0 as the primary rate limit and retries after its reset', async () => {
    const { server, ...source } = track(await gitHubSource());
    server.add(Date.now() - MINUTE);
    server.quota.set(0, 1_200);
    const instance = instanceOf(source);

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    expect(server.requests.map((request) => request.status)).toEqual([403, 200]);
    expect(server.requests[1]!.at).toBeGreaterThanOrEqual(
      Math.ceil((server.requests[0]!.at + 1_200) / 1000) * 1000 - 50,
    );
  });
});
