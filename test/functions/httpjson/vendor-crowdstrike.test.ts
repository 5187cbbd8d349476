import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { crowdStrikeSource } from '../../helpers/vendors/httpjson-examples.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const track = closeAfterEach();

describe('httpjson with the CrowdStrike Falcon example: OAuth2, then ids → entities', () => {
  it('brings a 3,000-alert backlog through the two-step API exactly once', { timeout: 120_000 }, async () => {
    const { server, ...source } = track(await crowdStrikeSource());
    const now = Date.now();
    const ids = Array.from({ length: 3000 }, (_, i) => server.add(now - 50 * MINUTE + i * 900).composite_id);
    const instance = kitInstance(httpjson, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    const outcomes = [await instance.fetch()];
    while (instance.sink.pushedIds().length < ids.length && outcomes.length < 10)
      outcomes.push(await instance.fetch());
    outcomes.push(await instance.fetch());

    expect(outcomes.every((outcome) => outcome.status === 'ok')).toBe(true);
    const pushed = instance.sink.pushedIds();
    expect(pushed).toHaveLength(3000);
    expect(new Set(pushed).size).toBe(3000);
    expect(pushed).toEqual(ids);
    // Each window: one query for its ids and one entities request per 1000 of them, one token for all.
    const paths = server.requests.map((request) => request.path);
    expect(paths.filter((path) => path === '/oauth2/token')).toHaveLength(1);
    const queries = server.requests.filter((request) => request.path === '/alerts/queries/alerts/v2');
    const entities = server.requests.filter((request) => request.path === '/alerts/entities/alerts/v2');
    expect(entities.length).toBeGreaterThanOrEqual(6); // max_fetch 500: at least six windows
    expect(entities.length).toBeLessThanOrEqual(queries.length);
    expect(queries[0]!.query).toMatchObject({
      sort: 'created_timestamp|asc',
      limit: expect.stringMatching(/^\d+$/),
    });
    expect(queries[0]!.query.filter).toMatch(/^created_timestamp:>='\S+Z'\+created_timestamp:<'\S+Z'$/);
    expect(entities.every((request) => request.method === 'POST')).toBe(true);
    expect(entities[0]!.headers['content-type']).toBe('application/json');
  });

  it('sends the client secret only to the token endpoint, in the form body, and the token only to the API', async () => {
    const { server, ...source } = track(await crowdStrikeSource());
    server.add(Date.now() - 5 * MINUTE);
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    const [token, ...api] = server.requests;
    expect(token).toMatchObject({ path: '/oauth2/token', method: 'POST' });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token!.headers.authorization).toBeUndefined();
    const issued = server.tokens.issued[0]!.token;
    for (const request of api) {
      expect(request.headers.authorization).toBe(`Bearer ${issued}`);
      expect(JSON.stringify(request)).not.toContain(server.clientSecret);
    }
  });

  it('maps an alert: display name and host, severity name, tactic and technique labels', async () => {
    const { server, ...source } = track(await crowdStrikeSource());
    const alert = server.add(Date.now() - MINUTE);
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    await instance.fetch();

    const [incident] = instance.sink.batches.flatMap((batch) => batch.incidents);
    expect(incident).toMatchObject({
      name: `${alert.display_name} on ${alert.device.hostname}`,
      dbotMirrorId: alert.composite_id,
      occurred: alert.created_timestamp,
      severity: { Informational: 0.5, Low: 1, Medium: 2, High: 3, Critical: 4 }[alert.severity_name],
      type: 'CrowdStrike Falcon Alert',
    });
    expect(incident!.labels).toEqual(expect.arrayContaining([{ type: 'tactic', value: alert.tactic }]));
  });

  it('refreshes a revoked token once on a 401 and goes on', async () => {
    const { server, ...source } = track(await crowdStrikeSource());
    server.add(Date.now() - 5 * MINUTE);
    const instance = kitInstance(httpjson, source, new MemoryStateStore());
    await instance.fetch();
    server.tokens.revokeAll();
    server.add(Date.now() - SECOND);

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    expect(server.tokens.issued).toHaveLength(2);
    expect(server.requests.filter((request) => request.status === 401)).toHaveLength(1);
  });

  it('says the token endpoint refused the client credentials, without the secret', async () => {
    const { server, ...source } = track(await crowdStrikeSource());
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    const outcome = await instance.test(source.wrongSecrets);

    expect(outcome.ok).toBe(false);
    expect(outcome.error?.code).toBe('SOURCE_AUTH');
    expect(outcome.error?.message).toContain('The OAuth2 token endpoint');
    expect(outcome.error?.message).toContain('refused the client credentials (403)');
    expect(outcome.error?.message).toContain('Failed to issue access token - Not Authorized');
    expect(outcome.error?.message).not.toContain(source.wrongSecrets.client_secret);
    expect(server.requests.map((request) => request.path)).toEqual(['/oauth2/token']);
  });
});
