import { expect } from 'vitest';
import { resolveParams } from '../config/resolve-settings.js';
import { ConfigError, ErrorCodes } from '../errors.js';
import { sleep } from '../retry.js';
import type { RunOutcome } from '../runner/run-fetch.js';
import type { ConformanceCheck, ConformanceSource, ConformanceTarget } from './conformance-target.js';
import { kitDocument, kitInstance } from './kit-instance.js';
import { MemoryStateStore } from './memory-state-store.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const sorted = (ids: readonly string[]) => [...ids].sort();

/** Starts the target's source for one check and always closes it. */
const withSource = async (target: ConformanceTarget, check: (source: ConformanceSource) => Promise<void>) => {
  const source = await target.startSource();
  try {
    await check(source);
  } finally {
    await source.close();
  }
};

/** Times on the source's grid (second-precision APIs would otherwise round the kit's events). */
const timeGrid = (target: ConformanceTarget) => {
  const step = target.timeStepMs ?? 1000;
  const align = (ms: number) => Math.floor(ms / step) * step;
  return {
    step,
    ago: (ms: number) => new Date(align(Date.now() - ms)),
    /**
     * The first grid time after `after` (the end of a fetch, so after its cursor), once the clock has
     * passed it: an event stamped then is new to the next fetch and not in the future.
     */
    async after(after: number): Promise<Date> {
      const next = align(after) + step;
      while (Date.now() <= next) await sleep(next - Date.now() + 1);
      return new Date(next);
    },
  };
};

const expectOk = (outcome: RunOutcome, what: string) =>
  expect(
    outcome.status,
    `${what}: ${outcome.error?.code ?? ''} ${outcome.error?.message ?? outcome.message ?? ''}`,
  ).toBe('ok');

/** The first fetch starts at `first_fetch`: older events are not fetched, newer ones all are. */
const firstFetch = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const grid = timeGrid(target);
    await source.add([grid.ago(10 * DAY), grid.ago(5 * DAY)]);
    const inside = await source.add([grid.ago(2 * DAY), grid.ago(HOUR), grid.ago(5 * MINUTE)]);
    const instance = kitInstance(target.connector, source, new MemoryStateStore(), { first_fetch: '3 days' });

    const outcome = await instance.fetch();

    expectOk(outcome, 'the first fetch');
    expect(sorted(instance.sink.pushedIds()), 'pushed: the events after first_fetch, none before').toEqual(
      sorted(inside),
    );
  });

/** No fetch pushes more than `max_fetch`; the runner drains the rest in further fetches. */
const maxFetch = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const grid = timeGrid(target);
    const base = grid.ago(30 * MINUTE).getTime();
    const added = await source.add(Array.from({ length: 7 }, (_, i) => new Date(base + i * MINUTE)));
    const instance = kitInstance(target.connector, source, new MemoryStateStore(), {
      first_fetch: '1 hour',
      max_fetch: 3,
    });

    const outcome = await instance.fetch();

    expectOk(outcome, 'the fetch');
    for (const batch of instance.sink.batches)
      expect(batch.incidents.length, 'a push of one fetch').toBeLessThanOrEqual(3);
    expect(outcome.fetches, 'fetches drained').toBeGreaterThanOrEqual(3);
    expect(sorted(instance.sink.pushedIds()), 'every event, once').toEqual(sorted(added));
  });

/**
 * Several scheduled fetches through the runner, on DynamoDB Local: events added between them, one burst
 * larger than max_fetch on one instant, an idle fetch. Every event is pushed exactly once.
 */
const resume = (target: ConformanceTarget, lookBackMinutes: number) =>
  withSource(target, async (source) => {
    const grid = timeGrid(target);
    const store = await target.stateStore.open();
    const instance = kitInstance(target.connector, source, store, {
      first_fetch: '1 hour',
      max_fetch: 2,
      look_back: lookBackMinutes,
    });
    const expected: string[] = [];
    const fetchAndExpect = async (label: string, added: string[]) => {
      const before = instance.sink.pushedIds().length;
      const outcome = await instance.fetch();
      expectOk(outcome, label);
      expect(
        sorted(instance.sink.pushedIds().slice(before)),
        `${label}: pushed exactly the new events`,
      ).toEqual(sorted(added));
      expected.push(...added);
      return Date.now();
    };

    let finished = await fetchAndExpect(
      'fetch 1',
      await source.add([grid.ago(40 * MINUTE), grid.ago(20 * MINUTE), grid.ago(10 * MINUTE)]),
    );
    const second = await grid.after(finished);
    finished = await fetchAndExpect('fetch 2', await source.add([second, second]));
    finished = await fetchAndExpect('fetch 3 (nothing new)', []);
    const burst = await grid.after(finished);
    await fetchAndExpect(
      'fetch 4 (a burst over max_fetch on one instant)',
      await source.add(Array(5).fill(burst)),
    );

    const counts = [...instance.sink.counts.entries()].filter(([, count]) => count > 1);
    expect(counts, 'incidents pushed more than once').toEqual([]);
    expect(sorted(instance.sink.pushedIds()), 'all events').toEqual(sorted(expected));
    const state = await store.read(instance.document.id);
    expect(state?.leaseId, 'the lease is released').toBeUndefined();
    expect(state?.version, 'one commit per fetch at least').toBeGreaterThanOrEqual(4);
    const history = await store.listHistory(instance.document.id);
    expect(history.map((record) => record.status)).toEqual(['ok', 'ok', 'ok', 'ok']);
  });

/**
 * A connector the runner prefetches (every time-window connector; an own-cursor one with `prefetch:
 * true`) must only read: a prefetched page can be dropped, so fetching it must change nothing. The same
 * last run fetched twice (debug fetches: nothing pushed, nothing committed) gives the same incidents,
 * and a live fetch after them still pushes every event once.
 */
const prefetch = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const grid = timeGrid(target);
    const added = await source.add([grid.ago(20 * MINUTE), grid.ago(10 * MINUTE), grid.ago(5 * MINUTE)]);
    const instance = kitInstance(target.connector, source, new MemoryStateStore(), { first_fetch: '1 hour' });
    const ids = (outcome: RunOutcome) =>
      sorted((outcome.incidents ?? []).map((i) => i.dbotMirrorId ?? i.name));

    const first = await instance.fetch('debug');
    const second = await instance.fetch('debug');
    const live = await instance.fetch();

    expectOk(first, 'the first debug fetch');
    expect(ids(second), 'the same last run fetched again: the same incidents').toEqual(ids(first));
    expectOk(live, 'the live fetch after them');
    expect(sorted(instance.sink.pushedIds()), 'every event, once, after two fetches dropped').toEqual(
      sorted(added),
    );
  });

/** Nothing at the source: a successful fetch that pushes nothing, twice. */
const empty = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const instance = kitInstance(target.connector, source, new MemoryStateStore(), { first_fetch: '1 hour' });

    const first = await instance.fetch();
    const second = await instance.fetch();

    expectOk(first, 'the first fetch');
    expectOk(second, 'the second fetch');
    expect(instance.sink.pushedIds(), 'pushed nothing').toEqual([]);
  });

/** The Test button passes with the right credential; a wrong one fails it and a fetch, saying what to check. */
const credentials = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const store = new MemoryStateStore();
    const instance = kitInstance(target.connector, source, store, { first_fetch: '1 hour' });

    const good = await instance.test();
    const bad = await instance.test(source.wrongSecrets);
    const fetched = await instance.fetchWith(source.wrongSecrets);

    // Notes (XSOAR's Fetch Limit advice) may come with a pass; an error may not.
    expect(good, 'the Test button with the right credential').toMatchObject({
      instanceId: instance.document.id,
      ok: true,
    });
    expect(good.error, 'the Test button with the right credential').toBeUndefined();
    expect(bad, 'the Test button with a wrong credential fails with SOURCE_AUTH').toMatchObject({
      ok: false,
      error: { code: ErrorCodes.SOURCE_AUTH },
    });
    expect(bad.error?.message, 'says what to check').toMatch(/credential|password|token|api key|secret/i);
    for (const value of Object.values(source.wrongSecrets)) {
      if (value.length >= 6) expect(bad.error?.message, 'never echoes the credential').not.toContain(value);
    }
    expect(fetched, 'a fetch with a wrong credential fails with SOURCE_AUTH').toMatchObject({
      status: 'error',
      error: { code: ErrorCodes.SOURCE_AUTH },
    });
    expect((await store.read(instance.document.id))?.lastRun, 'the last run is untouched').toEqual({});
  });

/** A 429 is retried once the delay the source advertised has passed, and the fetch succeeds. */
const rateLimit = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const probe = source.rateLimit;
    if (!probe) {
      throw new ConfigError(
        `${target.name ?? target.connector.name}: the source has no rateLimit probe. Add one to startSource, or give skip.rateLimit the reason it cannot apply.`,
      );
    }
    const grid = timeGrid(target);
    const added = await source.add([grid.ago(20 * MINUTE), grid.ago(10 * MINUTE)]);
    const instance = kitInstance(target.connector, source, new MemoryStateStore(), { first_fetch: '1 hour' });
    const before = probe.log().length;
    probe.next(1);

    const outcome = await instance.fetch();

    expectOk(outcome, 'the rate-limited fetch');
    expect(sorted(instance.sink.pushedIds()), 'pushed: every event, after the retry').toEqual(sorted(added));
    const log = probe.log().slice(before);
    const limited = log.findIndex((request) => request.status === 429);
    expect(limited, 'the source answered 429').toBeGreaterThanOrEqual(0);
    const answer = log[limited]!;
    const retry = log[limited + 1];
    expect(retry, 'a retry after the 429').toBeDefined();
    const waited = retry!.at - answer.at;
    const advertised = answer.advertisedMs ?? 0;
    // Timers fire on the millisecond; a retry a few ms early would still be early.
    expect(waited, `waited ${waited} ms; the source asked for ${advertised} ms`).toBeGreaterThanOrEqual(
      advertised - 20,
    );
    expect(waited, 'retried promptly once the delay passed').toBeLessThan(advertised + 5_000);
  });

/** Mistakes in the parameters are refused before any request, naming the instance, the field and the fix. */
const badParams = (target: ConformanceTarget) =>
  withSource(target, async (source) => {
    const now = new Date();
    const { connector } = target;
    expect(
      () => resolveParams(kitDocument(connector, source), connector, now),
      "the source's own parameters",
    ).not.toThrow();
    const cases = [
      { title: 'an unknown parameter', params: { no_such_parameter: true }, message: 'no_such_parameter' },
      {
        title: 'max_fetch over 1000',
        params: { max_fetch: 5000 },
        message: 'params.max_fetch must be at most 1000',
      },
      ...(target.badParams ?? []),
    ];
    for (const bad of cases) {
      const document = kitDocument(connector, source, bad.params as Record<string, unknown>);
      let error: unknown;
      try {
        resolveParams(document, connector, now);
      } catch (caught) {
        error = caught;
      }
      expect(error, `${bad.title}: refused`).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message, `${bad.title}: names the instance`).toContain(`Instance "${document.id}"`);
      if (typeof bad.message === 'string') expect(message, bad.title).toContain(bad.message);
      else expect(message, bad.title).toMatch(bad.message);
    }
    const refused = kitInstance(connector, source, new MemoryStateStore(), cases[0]!.params);
    expect(await refused.fetch(), 'a fetch of a misconfigured instance').toMatchObject({
      status: 'error',
      error: { code: ErrorCodes.CONFIG_INVALID },
    });
  });

/** The checks by name; `resume` takes the look-back in minutes. */
export const conformanceChecks: Record<
  ConformanceCheck,
  (target: ConformanceTarget, lookBackMinutes: number) => Promise<void>
> = {
  firstFetch,
  maxFetch,
  resume,
  empty,
  credentials,
  rateLimit,
  badParams,
  prefetch,
};
