import { describe, expect, it } from 'vitest';
import { demoBehaviourFromEnv } from '../../../local/demo-source/demo-behaviour.js';

describe('the demo source behaviour of npm start', () => {
  it('is calm by default', () => {
    expect(demoBehaviourFromEnv({})).toEqual({ indexingDelayMs: 0 });
  });

  it('reads an indexing delay and a burst from the environment', () => {
    expect(demoBehaviourFromEnv({ DEMO_INDEXING_DELAY: '20s', DEMO_BURST: '500 every 30s' })).toEqual({
      indexingDelayMs: 20_000,
      burst: { size: 500, everyMs: 30_000 },
    });
  });

  it('reads a vendor-like rate limit from the environment', () => {
    expect(demoBehaviourFromEnv({ DEMO_RATE_LIMIT: '5 per second' }).rateLimit).toEqual({
      requests: 5,
      perMs: 1_000,
    });
    expect(demoBehaviourFromEnv({ DEMO_RATE_LIMIT: '100 requests per minute' }).rateLimit).toEqual({
      requests: 100,
      perMs: 60_000,
    });
    expect(demoBehaviourFromEnv({ DEMO_RATE_LIMIT: '20 per 10s' }).rateLimit).toEqual({
      requests: 20,
      perMs: 10_000,
    });
  });

  it('refuses values it cannot read, saying what it expects', () => {
    expect(() => demoBehaviourFromEnv({ DEMO_RATE_LIMIT: 'fast' })).toThrow(/"5 per second"/);
    expect(() => demoBehaviourFromEnv({ DEMO_RATE_LIMIT: '0 per second' })).toThrow(/"5 per second"/);
    expect(() => demoBehaviourFromEnv({ DEMO_INDEXING_DELAY: 'soon' })).toThrow(/use for example "20s"/);
    expect(() => demoBehaviourFromEnv({ DEMO_BURST: 'lots' })).toThrow(/"<count> every <duration>"/);
  });
});
