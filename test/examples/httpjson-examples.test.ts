import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../shared/incident.js';
import type { ConformanceSource } from '../../shared/kit/index.js';
import { type ExampleSystem, startExampleSystem } from '../helpers/example-system.js';
import { storedIds } from '../helpers/ingest.js';
import {
  crowdStrikeSource,
  EXAMPLES,
  gitHubOrgSource,
  gitHubSource,
  graphSource,
  jiraSource,
  loadExample,
  oktaSource,
  pagerDutySource,
  sentinelOneSource,
} from '../helpers/vendors/httpjson-examples.js';

/**
 * Every shipped `examples/httpjson/` configuration, verbatim but for where its vendor is (a local
 * stand-in that follows the vendor's API reference), run as a user runs it: `ferry test` and
 * `ferry fetch --debug` through the real CLI attached to the running local system, secrets as `{"env"}`
 * references, then a live fetch into the ingestion endpoint. No secret (nor an OAuth2 token the
 * stand-in issued) may appear in what the CLI prints.
 */

const MINUTE = 60_000;
const VENDORS = {
  pagerduty: pagerDutySource,
  okta: oktaSource,
  github: gitHubSource,
  githubOrg: gitHubOrgSource,
  crowdstrike: crowdStrikeSource,
  graph: graphSource,
  sentinelone: sentinelOneSource,
  jira: jiraSource,
} as const;
type Vendor = keyof typeof VENDORS;
const NAMES = Object.keys(VENDORS) as Vendor[];

type Source = ConformanceSource & { server: object };
const sources = {} as Record<Vendor, Source>;
const expected = {} as Record<Vendor, string[]>;
let running: ExampleSystem;

/** The variable an instance's secret is read from: `FERRY_EXAMPLE_GRAPH_CLIENT_SECRET`. */
const variableOf = (instance: string, secret: string) =>
  `FERRY_EXAMPLE_${instance.replace(/[A-Z]/g, (c) => `_${c}`).replace(/-/g, '_')}_${secret}`.toUpperCase();

/** The example as a config file instance: its own params (origins moved), secrets as env references. */
const instanceOf = (vendor: Vendor, name: string, secrets: Record<string, string>) => ({
  ...loadExample(EXAMPLES[vendor]),
  params: sources[vendor].params,
  secrets: Object.fromEntries(
    Object.keys(secrets).map((secret) => [secret, { env: variableOf(name, secret) }]),
  ),
});

/** Every value the CLI must never print: the instances' secrets and the tokens a stand-in issued. */
const secretValues = (): string[] =>
  NAMES.flatMap((vendor) => {
    const { secrets, wrongSecrets, server } = sources[vendor];
    const issued = (server as { tokens?: { issued: { token: string }[] } }).tokens?.issued ?? [];
    return [
      ...Object.values(secrets),
      ...Object.values(wrongSecrets ?? {}),
      ...issued.map((entry) => entry.token),
    ].filter((value) => value.length >= 8);
  });

beforeAll(async () => {
  const now = Date.now();
  const instances: Record<string, unknown> = {};
  const variables: Record<string, string> = {};
  for (const vendor of NAMES) {
    sources[vendor] = await VENDORS[vendor]();
    expected[vendor] = await sources[vendor].add!([30, 20, 10].map((ago) => new Date(now - ago * MINUTE)));
    instances[vendor] = instanceOf(vendor, vendor, sources[vendor].secrets);
    for (const [secret, value] of Object.entries(sources[vendor].secrets))
      variables[variableOf(vendor, secret)] = value;
  }
  // One instance whose client secret Entra ID refuses: the Test button's failure, without the secret.
  const wrong = sources.graph.wrongSecrets!;
  instances['graph-wrong-secret'] = instanceOf('graph', 'graph-wrong-secret', wrong);
  for (const [secret, value] of Object.entries(wrong))
    variables[variableOf('graph-wrong-secret', secret)] = value;
  running = await startExampleSystem(instances, variables);
}, 180_000);

afterAll(async () => {
  await running?.close();
  for (const source of Object.values(sources)) await source.close();
});

describe.each(NAMES)('the %s example through the ferry CLI', { timeout: 150_000 }, (vendor) => {
  it('passes `ferry test`, and `ferry fetch --debug` prints its incidents without pushing them', async () => {
    const [test, debug] = await Promise.all([
      running.ferry('test', vendor),
      running.ferry('fetch', vendor, '--debug'),
    ]);

    expect(test.code, test.stdout + test.stderr).toBe(0);
    expect(test.stdout).toMatch(/^ok\n/);
    expect(debug.code, debug.stderr).toBe(0);
    const incidents = JSON.parse(debug.stdout) as Incident[];
    expect(incidents.map((incident) => incident.dbotMirrorId)).toEqual(expected[vendor]);
    expect(incidents.every((incident) => incident.name && incident.occurred)).toBe(true);
    expect(await storedIds(running.system.incidents, vendor)).toEqual([]);
    for (const secret of secretValues()) {
      expect(test.stdout + test.stderr).not.toContain(secret);
      expect(debug.stdout + debug.stderr).not.toContain(secret);
    }
  });

  it('delivers each event once in a live fetch, and nothing more in the next', async () => {
    const first = await running.system.invoke(vendor, 'fetch');
    const second = await running.system.invoke(vendor, 'fetch');

    expect(first).toMatchObject({ status: 'ok', pushed: 3 });
    expect(second).toMatchObject({ status: 'ok', pushed: 0 });
    expect(await storedIds(running.system.incidents, vendor)).toEqual([...expected[vendor]].sort());
  });
});

describe('an example with a refused secret, through the ferry CLI', { timeout: 150_000 }, () => {
  it("`ferry test` exits 1 with the vendor's reason and never prints the secret", async () => {
    const result = await running.ferry('test', 'graph-wrong-secret');

    expect(result.code).toBe(1);
    expect(result.stdout).toContain('refused the client credentials (401)');
    expect(result.stdout).toContain('AADSTS7000215');
    for (const secret of secretValues()) expect(result.stdout + result.stderr).not.toContain(secret);
  });
});

describe('an OAuth2 token after live fetches', { timeout: 150_000 }, () => {
  it.each(['graph', 'crowdstrike'] as const)(
    '%s: kept in the integration context, never in `ferry last-run`, `history`, `status` or the dashboard',
    async (vendor) => {
      const { tokens } = sources[vendor].server as { tokens: { issued: { token: string }[] } };
      await running.system.invoke(vendor, 'fetch');

      const [lastRun, history, status] = await Promise.all([
        running.ferry('last-run', vendor),
        running.ferry('history', vendor),
        running.ferry('status'),
      ]);
      const dashboard = running.system.dashboard!.url;
      const pages = await Promise.all(
        ['/api/overview', `/api/instances/${vendor}/history`].map(async (path) => {
          const response = await fetch(new URL(path, dashboard));
          expect(response.status, path).toBe(200);
          return response.text();
        }),
      );

      expect(tokens.issued.length).toBeGreaterThan(0);
      expect(JSON.stringify(await running.system.store.getContext(vendor))).toContain(
        tokens.issued.at(-1)!.token,
      );
      expect(lastRun.code, lastRun.stderr).toBe(0);
      expect(lastRun.stdout).toContain('"time"');
      expect(history.stdout).toMatch(/ok/);
      const shown = [lastRun, history, status].map((run) => run.stdout + run.stderr).concat(pages);
      for (const secret of secretValues()) for (const text of shown) expect(text).not.toContain(secret);
    },
  );
});
