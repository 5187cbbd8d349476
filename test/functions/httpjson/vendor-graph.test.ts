import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { graphSource } from '../../helpers/vendors/httpjson-examples.js';

const MINUTE = 60_000;
const track = closeAfterEach();

describe('httpjson with the Microsoft Graph security alerts v2 example', () => {
  it('passes the Test button, shows a debug fetch, then reads the window newest first through @odata.nextLink', async () => {
    const { server, ...source } = track(await graphSource());
    const now = Date.now();
    const alerts = Array.from({ length: 1200 }, (_, i) => server.add(now - 40 * MINUTE + i * 1500));
    const instance = kitInstance(httpjson, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 1000,
    });

    const test = await instance.test();
    const debug = await instance.fetch('debug');
    const live = await instance.fetch();

    expect(test.error).toBeUndefined();
    expect(test).toMatchObject({ ok: true });
    expect(debug).toMatchObject({ status: 'ok', pushed: 0 });
    expect(debug.incidents).toHaveLength(1000);
    expect(debug.incidents![0]!.dbotMirrorId).toBe(alerts[0]!.id);
    expect(live).toMatchObject({ status: 'ok', pushed: 1200 });
    expect(instance.sink.pushedIds()).toEqual(alerts.map((alert) => alert.id));
    const api = server.requests.filter((request) => request.path === '/v1.0/security/alerts_v2');
    const first = api.find((request) => request.query.$skiptoken === undefined)!;
    expect(first.query.$filter).toMatch(/^createdDateTime ge \S+Z and createdDateTime lt \S+Z$/);
    // The Test button asks 10; a fetch asks page_size (500) a page.
    expect(api.map((request) => request.query.$top)).toEqual(expect.arrayContaining(['10', '500']));
    expect(api.some((request) => request.query.$skiptoken !== undefined)).toBe(true);
  });

  it("asks the token of the tenant's login origin with the .default scope, and sends the secret nowhere else", async () => {
    const { server, ...source } = track(await graphSource());
    server.add(Date.now() - MINUTE);
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    const outcome = await instance.fetch();

    expect(outcome).toMatchObject({ status: 'ok', pushed: 1 });
    const token = server.requests.find((request) => request.path.endsWith('/oauth2/v2.0/token'))!;
    expect(token.path).toBe(`/${server.tenantId}/oauth2/v2.0/token`);
    expect(new URL(server.login.url).origin).not.toBe(new URL(server.url).origin);
    const api = server.requests.filter((request) => request.path.startsWith('/v1.0/'));
    expect(
      api.every((request) => request.headers.authorization === `Bearer ${server.tokens.issued[0]!.token}`),
    ).toBe(true);
    expect(JSON.stringify(api)).not.toContain(server.clientSecret);
  });

  it("names Entra ID's refusal of a wrong secret", async () => {
    const { server: _server, ...source } = track(await graphSource());
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    const outcome = await instance.test(source.wrongSecrets);

    expect(outcome.error?.code).toBe('SOURCE_AUTH');
    expect(outcome.error?.message).toContain('refused the client credentials (401)');
    expect(outcome.error?.message).toContain('AADSTS7000215');
  });
});
