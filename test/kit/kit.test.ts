import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type DemoAlert, helloworld } from '../../functions/helloworld/connector.js';
import type { Connector, CursorConnector, WindowConnector } from '../../shared/connector.js';
import { type ConformanceTarget, conformanceChecks } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import { startDemoConformanceSource } from './demo-conformance-source.js';

/**
 * The kit must catch what it claims to: each check is run against a connector broken in the way the
 * check is about, and must fail, saying what went wrong.
 */

const API_KEY = 'kit-self-test-key';
type Params = { url: string };

afterAll(() => kitDynamo.close());

const targetFor = (connector: Connector): ConformanceTarget => ({
  connector,
  stateStore: kitDynamo,
  startSource: () => startDemoConformanceSource(API_KEY),
});

const base = helloworld as WindowConnector<Params, DemoAlert>;

/** helloworld, but asking the source for everything since 1970 whatever the window. */
const ignoresFirstFetch: WindowConnector<Params, DemoAlert> = {
  ...base,
  fetchWindow: (ctx, window) => base.fetchWindow(ctx, { ...window, start: new Date(0) }),
};

/** An own-cursor connector that never remembers where it stopped. */
const forgetsItsCursor: CursorConnector<Params> = {
  name: 'forgetful',
  style: 'cursor',
  params: base.params,
  secrets: ['apiKey'],
  async fetchIncidents(ctx) {
    const { events } = await base.fetchWindow(ctx, {
      start: ctx.firstFetch,
      end: ctx.now,
      limit: ctx.maxFetch,
    });
    return { incidents: events.map((event) => base.toIncident(event, ctx)), nextRun: {}, hasMore: false };
  },
  test: (ctx) => base.test(ctx),
};

/** An own-cursor connector that returns everything new at once, whatever max_fetch says. */
const ignoresMaxFetch: CursorConnector<Params> = {
  ...forgetsItsCursor,
  name: 'greedy',
  async fetchIncidents(ctx) {
    const since = typeof ctx.lastRun.time === 'string' ? new Date(ctx.lastRun.time) : ctx.firstFetch;
    const { events } = await base.fetchWindow(ctx, { start: since, end: ctx.now, limit: 1000 });
    return {
      incidents: events.map((event) => base.toIncident(event, ctx)),
      nextRun: { time: ctx.now.toISOString() },
    };
  },
};

/** helloworld, but an empty answer is taken for a broken source. */
const failsWhenEmpty: WindowConnector<Params, DemoAlert> = {
  ...base,
  async fetchWindow(ctx, window) {
    const page = await base.fetchWindow(ctx, window);
    if (page.events.length === 0) throw new Error('no alerts: is the source down?');
    return page;
  },
};

/** helloworld, but its Test button swallows every error. */
const hidesAuthFailures: WindowConnector<Params, DemoAlert> = {
  ...base,
  test: async (ctx) => {
    await base.test(ctx).catch(() => undefined);
  },
};

/** helloworld, but with its own fetch that takes a failed request as an empty page. */
const givesUpOn429: WindowConnector<Params, DemoAlert> = {
  ...base,
  async fetchWindow(ctx, window) {
    const url = new URL('alerts', `${ctx.params.url}/`);
    url.searchParams.set('since', window.start.toISOString());
    url.searchParams.set('until', window.end.toISOString());
    url.searchParams.set('limit', String(window.limit));
    const response = await fetch(url, { headers: { authorization: `Bearer ${ctx.secrets.apiKey}` } });
    if (!response.ok) return { events: [] };
    return { events: ((await response.json()) as { alerts: DemoAlert[] }).alerts };
  },
};

/** helloworld, with a parameter schema that lets anything through. */
const acceptsAnything: WindowConnector<Params, DemoAlert> = {
  ...base,
  params: z.object({ url: z.string() }).passthrough() as unknown as z.ZodType<Params>,
};

/** Claims `prefetch` but reads like a queue: what one fetch returned, no later fetch returns again. */
const consumesWhatItFetches = (): CursorConnector<Params> => {
  const handedOut = new Set<string>();
  return {
    ...forgetsItsCursor,
    name: 'queue-like',
    prefetch: true,
    async fetchIncidents(ctx) {
      const { events } = await base.fetchWindow(ctx, { start: ctx.firstFetch, end: ctx.now, limit: 1000 });
      const fresh = events.filter((event) => !handedOut.has(event.id));
      for (const event of fresh) handedOut.add(event.id);
      return { incidents: fresh.map((event) => base.toIncident(event, ctx)), nextRun: {} };
    },
  };
};

describe('the conformance kit catches', () => {
  it('a connector that declares prefetch although a fetch consumes what it returns', async () => {
    await expect(conformanceChecks.prefetch(targetFor(consumesWhatItFetches()), 0)).rejects.toThrow(
      'the same last run fetched again: the same incidents',
    );
  });

  it('a connector that ignores first_fetch', async () => {
    const target = targetFor(ignoresFirstFetch);

    await expect(conformanceChecks.firstFetch(target, 0)).rejects.toThrow(
      'the events after first_fetch, none before',
    );
  });

  it('a connector that pushes more than max_fetch at once', async () => {
    await expect(conformanceChecks.maxFetch(targetFor(ignoresMaxFetch), 0)).rejects.toThrow(
      'a push of one fetch',
    );
  });

  it('a connector that fails on an empty source', async () => {
    await expect(conformanceChecks.empty(targetFor(failsWhenEmpty), 0)).rejects.toThrow(
      'the first fetch: UNEXPECTED no alerts',
    );
  });

  it('a connector that pushes what it pushed before', async () => {
    const target = targetFor(forgetsItsCursor);

    await expect(conformanceChecks.resume(target, 0)).rejects.toThrow('pushed exactly the new events');
  }, 90_000);

  it('a Test button that passes with a wrong credential', async () => {
    const target = targetFor(hidesAuthFailures);

    await expect(conformanceChecks.credentials(target, 0)).rejects.toThrow(
      'the Test button with a wrong credential fails with SOURCE_AUTH',
    );
  });

  it('a connector that drops a rate-limited page instead of retrying it', async () => {
    await expect(conformanceChecks.rateLimit(targetFor(givesUpOn429), 0)).rejects.toThrow(
      'pushed: every event, after the retry',
    );
  });

  it('a parameter schema that lets an unknown key through', async () => {
    await expect(conformanceChecks.badParams(targetFor(acceptsAnything), 0)).rejects.toThrow(
      'an unknown parameter: refused',
    );
  });

  it('a source that offers no way to rate-limit it, unless told why not', async () => {
    const target = targetFor(base);
    const withoutProbe: ConformanceTarget = {
      ...target,
      startSource: async () => ({ ...(await target.startSource()), rateLimit: undefined }),
    };

    await expect(conformanceChecks.rateLimit(withoutProbe, 0)).rejects.toThrow(
      'give skip.rateLimit the reason',
    );
  });
});
