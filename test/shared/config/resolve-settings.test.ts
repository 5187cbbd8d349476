import { describe, expect, it } from 'vitest';
import { helloworld } from '../../../functions/helloworld/connector.js';
import { resolveParams } from '../../../shared/config/resolve-settings.js';
import { type InstanceDocument, instanceDocumentSchema } from '../../../shared/config/schema.js';

const NOW = new Date('2026-03-10T12:00:00.000Z');

const aDocument = (params: Record<string, unknown>, overrides: Partial<InstanceDocument> = {}) =>
  instanceDocumentSchema.parse({
    id: 'demo',
    connector: 'helloworld',
    params: { url: 'http://127.0.0.1:8788', ...params },
    secrets: { apiKey: { env: 'DEMO_API_KEY' } },
    sink: { type: 'ferry' },
    ...overrides,
  });

describe('resolveParams', () => {
  it('applies the XSOAR defaults: first_fetch 3 days, max_fetch 200, no look-back, no lag', () => {
    const { settings, params } = resolveParams(aDocument({}), helloworld, NOW);

    expect(params).toEqual({ url: 'http://127.0.0.1:8788' });
    expect(settings).toEqual({
      firstFetch: new Date('2026-03-07T12:00:00.000Z'),
      maxFetch: 200,
      lookBackMs: 0,
      lagMs: 0,
      query: undefined,
      fetchIntervalMs: 60_000,
    });
  });

  it('resolves first_fetch, look_back (minutes), lag (seconds or a duration) and the interval', () => {
    const { settings } = resolveParams(
      aDocument(
        {
          first_fetch: '2026-01-31T00:00:00Z',
          max_fetch: 1000,
          look_back: 5,
          lag: '2 minutes',
          query: 'sev>2',
        },
        { fetchInterval: '30 seconds' },
      ),
      helloworld,
      NOW,
    );

    expect(settings).toEqual({
      firstFetch: new Date('2026-01-31T00:00:00.000Z'),
      maxFetch: 1000,
      lookBackMs: 300_000,
      lagMs: 120_000,
      query: 'sev>2',
      fetchIntervalMs: 30_000,
    });
    expect(resolveParams(aDocument({ lag: 15 }), helloworld, NOW).settings.lagMs).toBe(15_000);
  });

  it('passes only the connector its own parameters', () => {
    const { params } = resolveParams(aDocument({ max_fetch: 10, first_fetch: '1 hour' }), helloworld, NOW);

    expect(params).toEqual({ url: 'http://127.0.0.1:8788' });
  });

  it('throws a ConfigError naming the instance and the field', () => {
    expect(() => resolveParams(aDocument({ look_back: -1 }), helloworld, NOW)).toThrow(
      'Instance "demo" (helloworld): params.look_back must be 0 or more minutes (got -1).',
    );
  });
});
