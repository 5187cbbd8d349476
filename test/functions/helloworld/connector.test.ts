import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DemoAlert, helloworld } from '../../../functions/helloworld/connector.js';
import { type DemoSource, startDemoSource } from '../../../local/demo-source/server.js';
import { instanceDocumentSchema } from '../../../shared/config/schema.js';
import type { ConnectorContext } from '../../../shared/connector.js';
import { runConnectorTest } from '../../../shared/handler/run-connector-test.js';
import { validateIncident } from '../../../shared/incident.js';
import type { StateStore } from '../../../shared/state/state-store.js';
import { silentLogger } from '../../helpers/runtime.js';

const API_KEY = 'connector-key';
let source: DemoSource;

beforeAll(async () => {
  source = await startDemoSource({ apiKey: API_KEY, ratePerSecond: 0 });
});

afterAll(async () => {
  await source.close();
});

const anAlert: DemoAlert = {
  id: 'A-000007',
  name: 'Impossible travel',
  severity: 'critical',
  created: '2026-03-10T11:59:00.000Z',
  description: 'Logins from two continents',
  host: 'web-1',
  user: 'alice',
  source_ip: '',
};

/** A store with no state: the Test button only reads. */
const emptyStore = {
  read: async () => undefined,
  getContext: async () => ({ value: {}, version: 0 }),
} as unknown as StateStore;

const testInstance = (apiKey: string, url = source.url) =>
  runConnectorTest({
    document: instanceDocumentSchema.parse({
      id: 'demo',
      connector: 'helloworld',
      params: { url },
      secrets: { apiKey: { env: 'UNUSED' } },
      sink: { type: 'ferry' },
    }),
    connector: helloworld,
    resolveSecrets: async () => ({ apiKey }),
    store: emptyStore,
    logger: silentLogger,
  });

describe('the helloworld connector', () => {
  it("maps an alert to an XSOAR incident: id as dbotMirrorId, severity on XSOAR's scale, labels", () => {
    const incident = helloworld.toIncident(anAlert, {} as ConnectorContext<{ url: string }>);

    expect(incident).toEqual({
      name: 'Impossible travel',
      occurred: '2026-03-10T11:59:00.000Z',
      rawJSON: JSON.stringify(anAlert),
      dbotMirrorId: 'A-000007',
      details: 'Logins from two continents',
      severity: 4,
      type: 'Demo Alert',
      labels: [
        { type: 'host', value: 'web-1' },
        { type: 'user', value: 'alice' },
      ],
    });
    expect(validateIncident(incident, 0)).toBe(incident);
  });

  it('passes the Test button with the right key', async () => {
    expect(await testInstance(API_KEY)).toEqual({ kind: 'test', instanceId: 'demo', ok: true });
  });

  it('fails the Test button with a wrong key, saying to check the credentials', async () => {
    const outcome = await testInstance('wrong-key');

    expect(outcome).toMatchObject({ ok: false, error: { code: 'SOURCE_AUTH' } });
    expect(outcome.error?.message).toContain("check the instance's credentials");
  });

  it('fails the Test button for a URL that is not the alert API', async () => {
    const outcome = await testInstance(API_KEY, 'not a url');

    expect(outcome).toMatchObject({ ok: false, error: { code: 'CONFIG_INVALID' } });
    expect(outcome.error?.message).toContain(`params.url must be the alert API's base URL`);
  });
});
