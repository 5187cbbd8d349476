import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { kitInstance, MemoryStateStore } from '../../../shared/kit/index.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import { jiraSource, sentinelOneSource } from '../../helpers/vendors/httpjson-examples.js';

const MINUTE = 60_000;
const track = closeAfterEach();

describe('httpjson with the SentinelOne threats example', () => {
  it('passes the Test button, debug-fetches, then pages the window by nextCursor with the ApiToken header', async () => {
    const { server, ...source } = track(await sentinelOneSource());
    const now = Date.now();
    const threats = Array.from({ length: 250 }, (_, i) => server.add(now - 30 * MINUTE + i * 5000));
    const instance = kitInstance(httpjson, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      page_size: 100,
    });

    const test = await instance.test();
    const debug = await instance.fetch('debug');
    const live = await instance.fetch();

    expect(test).toMatchObject({ ok: true });
    expect(debug.incidents).toHaveLength(250);
    expect(live).toMatchObject({ status: 'ok', pushed: 250 });
    expect(instance.sink.pushedIds()).toEqual(threats.map((threat) => threat.id));
    const fetches = server.requests.slice(-3);
    expect(fetches.map((request) => request.query.cursor === undefined)).toEqual([true, false, false]);
    expect(fetches[0]!.query).toMatchObject({ sortBy: 'createdAt', sortOrder: 'asc', limit: '100' });
    expect(fetches[0]!.query.createdAt__gte).toMatch(/Z$/);
    expect(
      server.requests.every((request) => request.headers.authorization === `ApiToken ${server.token}`),
    ).toBe(true);
  });

  it('maps a threat: name and computer, confidence as severity', async () => {
    const { server, ...source } = track(await sentinelOneSource());
    const threat = server.add(Date.now() - MINUTE);
    const instance = kitInstance(httpjson, source, new MemoryStateStore());

    await instance.fetch();

    const [incident] = instance.sink.batches.flatMap((batch) => batch.incidents);
    expect(incident).toMatchObject({
      name: `${threat.threatInfo.threatName} on ${threat.agentRealtimeInfo.agentComputerName}`,
      dbotMirrorId: threat.id,
      severity: threat.threatInfo.confidenceLevel === 'malicious' ? 3 : 2,
    });
  });
});

describe('httpjson with the Jira issues-by-JQL example', () => {
  it("sends the window as JQL minutes in the user's zone and reads Jira's offset times back exactly", async () => {
    const { server, ...source } = track(await jiraSource());
    const now = Date.now();
    const issues = Array.from({ length: 230 }, (_, i) => server.add(now - 50 * MINUTE + i * 7_000 + 123));
    const instance = kitInstance(httpjson, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 1000,
    });

    const test = await instance.test();
    const debug = await instance.fetch('debug');
    const live = await instance.fetch();

    expect(test).toMatchObject({ ok: true });
    expect(debug.incidents).toHaveLength(230);
    expect(live).toMatchObject({ status: 'ok', pushed: 230 });
    expect(instance.sink.pushedIds()).toEqual(issues.map((issue) => `${issue.key}@${issue.fields.updated}`));
    const [first] = instance.sink.batches.flatMap((batch) => batch.incidents);
    // fields.updated "…T08:30:00.123-0400" read with its pattern: the exact instant.
    expect(Date.parse(first!.occurred!)).toBe(now - 50 * MINUTE + 123);
    const jql = server.requests.at(-3)!.query.jql!;
    expect(jql).toMatch(
      /^project = SEC AND updated >= "\d{4}-\d{2}-\d{2} \d{2}:\d{2}" AND updated < "\d{4}-\d{2}-\d{2} \d{2}:\d{2}" ORDER BY updated ASC$/,
    );
    const start = /updated >= "([^"]+)"/.exec(jql)![1]!;
    const wall = new Intl.DateTimeFormat('sv-SE', {
      timeZone: server.userTimeZone,
      dateStyle: 'short',
      timeStyle: 'short',
    });
    expect(start).toBe(
      wall
        .format(new Date(Math.floor((now - 60 * MINUTE) / MINUTE) * MINUTE))
        .replace(/(\d{2}:\d{2}).*$/, '$1'),
    );
    expect(server.requests.slice(-3).map((request) => request.query.nextPageToken === undefined)).toEqual([
      true,
      false,
      false,
    ]);
  });

  it('says what Jira refused when the time format is not one JQL reads', async () => {
    const { server: _server, ...source } = track(await jiraSource());
    const instance = kitInstance(httpjson, source, new MemoryStateStore(), { time_format: 'iso' });

    const outcome = await instance.test();

    expect(outcome.ok).toBe(false);
    expect(outcome.error?.message).toContain(
      "for field 'updated' is invalid. Valid formats include: 'yyyy/MM/dd HH:mm'",
    );
  });
});
