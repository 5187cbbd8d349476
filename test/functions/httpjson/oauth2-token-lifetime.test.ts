import { describe, expect, it } from 'vitest';
import { httpjson } from '../../../functions/httpjson/connector.js';
import { runConnectorTest } from '../../../shared/handler/run-connector-test.js';
import { createCountingSink, kitDocument, MemoryStateStore } from '../../../shared/kit/index.js';
import { refreshMarginMs } from '../../../shared/oauth2/token-cache.js';
import { sleep } from '../../../shared/retry.js';
import { type RunOutcome, runFetch } from '../../../shared/runner/run-fetch.js';
import { createCapturingLogger } from '../../helpers/capturing-logger.js';
import { closeAfterEach } from '../../helpers/close-after-each.js';
import type { CrowdStrikeServer } from '../../helpers/vendors/crowdstrike.js';
import { crowdStrikeSource } from '../../helpers/vendors/httpjson-examples.js';

const track = closeAfterEach();

/**
 * The scenario in compressed time: a 20-second token over a 2-minute run is six lifetimes;
 * here a 4-second token over 24 seconds, one scheduled fetch every 400 ms (as 2 s would be at full
 * scale), each alongside a debug fetch and a Test button press on the same instance, so three
 * callers want the token at once whenever it runs out.
 */
const LIFETIME_S = 4;
const RUN_MS = 24_000;
const TICK_MS = 400;

describe('an OAuth2 instance over many token lifetimes', () => {
  it('fetches without an error, asks one token per lifetime, and never lets the token out', {
    timeout: 90_000,
  }, async () => {
    const source = await crowdStrikeSource({ tokenLifetimeSeconds: LIFETIME_S });
    track(source);
    const server: CrowdStrikeServer = source.server;
    const store = new MemoryStateStore();
    const document = kitDocument(httpjson, source, { first_fetch: '1 hour', look_back: 0 });
    const sink = createCountingSink();
    const logger = createCapturingLogger();
    const run = (mode: 'live' | 'debug') =>
      runFetch(
        {
          document,
          connector: httpjson,
          secrets: async () => ({ ...source.secrets }),
          deadline: Date.now() + 25_000,
          mode,
        },
        { store, sink, logger },
      );
    const outcomes: RunOutcome[] = [];
    const tests: boolean[] = [];
    const startedAt = Date.now();
    let added = 0;

    while (Date.now() - startedAt < RUN_MS) {
      server.add(Date.now() - 50);
      added++;
      const [live, debug, test] = await Promise.all([
        run('live'),
        run('debug'),
        runConnectorTest({
          document,
          connector: httpjson,
          resolveSecrets: async () => ({ ...source.secrets }),
          store,
          logger,
        }),
      ]);
      outcomes.push(live, debug);
      tests.push(test.ok);
      await sleep(TICK_MS);
    }
    const ranMs = Date.now() - startedAt;

    // Zero fetch errors, every alert delivered once.
    expect(outcomes.filter((outcome) => outcome.status !== 'ok').map((outcome) => outcome.error)).toEqual([]);
    expect(tests.every(Boolean)).toBe(true);
    expect(new Set(sink.pushedIds()).size).toBe(added);
    expect(sink.pushedIds()).toHaveLength(added);
    // No 401 ever: tokens were replaced before they expired.
    expect(server.requests.filter((request) => request.status === 401)).toEqual([]);
    // One token per lifetime (less its refresh margin), not one per fetch, and none while one was good.
    const issued = server.tokens.issued;
    const usefulMs =
      LIFETIME_S * 1000 - refreshMarginMs({ accessToken: '', obtainedAt: 0, expiresAt: LIFETIME_S * 1000 });
    expect(issued.length).toBeGreaterThanOrEqual(Math.floor(ranMs / (LIFETIME_S * 1000)));
    expect(issued.length).toBeLessThanOrEqual(Math.ceil(ranMs / usefulMs) + 1);
    // The client counts a lifetime from before it asked (the token request's own latency, long on a
    // busy machine, is spent lifetime), so the server sees the renewal up to that latency early.
    const latencyMs = 500;
    for (const [index, token] of issued.entries()) {
      if (index === 0) continue;
      const previous = issued[index - 1]!;
      expect(
        token.issuedAt,
        `token #${index} was asked for while #${index - 1} was still good`,
      ).toBeGreaterThanOrEqual(
        previous.expiresAt - (previous.expiresAt - previous.issuedAt) / 10 - latencyMs,
      );
    }
    expect(outcomes.length).toBeGreaterThan(issued.length * 4);
    // The token is in the integration context, where it belongs, and nowhere else.
    const context = JSON.stringify(await store.getContext(document.id));
    expect(context).toContain(issued.at(-1)!.token);
    const state = JSON.stringify(await store.read(document.id));
    const history = JSON.stringify(await store.listHistory(document.id, { limit: 1000 }));
    const everything = [state, history, JSON.stringify(outcomes), ...logger.lines].join('\n');
    for (const { token } of issued) expect(everything).not.toContain(token);
    expect(everything).not.toContain(source.secrets.client_secret);
  });
});
