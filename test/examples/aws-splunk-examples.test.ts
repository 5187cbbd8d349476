import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Incident } from '../../shared/incident.js';
import { type ExampleSystem, startExampleSystem } from '../helpers/example-system.js';
import { storedIds } from '../helpers/ingest.js';
import {
  AWS_SPLUNK_EXAMPLES,
  guardDutyExampleSource,
  loadAwsSplunkExample,
  securityHubExampleSource,
  splunkExampleSource,
} from '../helpers/vendors/aws-splunk-examples.js';

/**
 * The shipped Security Hub, GuardDuty and Splunk (SPL and saved search) examples, verbatim but for where their source is,
 * run by the local system as a user would: the Test button (`ferry test`), a debug fetch
 * (`ferry fetch --debug`) through the real CLI attached to the running system, and a live fetch that
 * reaches the ingestion endpoint.
 */

const MINUTE = 60_000;

let running: ExampleSystem;
let sources: Awaited<ReturnType<typeof startSources>>;
const expected: Record<string, string[]> = {};

const startSources = async () => ({
  securityhub: await securityHubExampleSource(),
  guardduty: await guardDutyExampleSource(),
  splunk: await splunkExampleSource(),
  splunkSaved: await splunkExampleSource('splunkSaved'),
});

beforeAll(async () => {
  sources = await startSources();
  const now = Date.now();
  // What each example keeps, and something it filters out.
  expected.securityhub = [
    sources.securityhub.aws.securityHub.add({
      CreatedAt: new Date(now - 20 * MINUTE).toISOString(),
      Severity: { Label: 'HIGH', Normalized: 70 },
    }).Id,
    sources.securityhub.aws.securityHub.add({
      CreatedAt: new Date(now - 10 * MINUTE).toISOString(),
      Severity: { Label: 'CRITICAL', Normalized: 90 },
    }).Id,
  ];
  sources.securityhub.aws.securityHub.add({
    CreatedAt: new Date(now - 15 * MINUTE).toISOString(),
    Severity: { Label: 'LOW', Normalized: 1 },
  });
  expected.guardduty = [
    sources.guardduty.aws.guardDuty.add({
      updatedAt: new Date(now - 12 * MINUTE).toISOString(),
      severity: 7.5,
    }).id,
  ];
  sources.guardduty.aws.guardDuty.add({ updatedAt: new Date(now - 11 * MINUTE).toISOString(), severity: 2 });
  expected.splunk = [
    sources.splunk.server.add(now - 30 * MINUTE).event_id,
    sources.splunk.server.add(now - 5 * MINUTE).event_id,
  ];
  expected.splunkSaved = [
    sources.splunkSaved.server.add(now - 25 * MINUTE).event_id,
    sources.splunkSaved.server.add(now - 15 * MINUTE).event_id,
  ];

  const instance = (
    name: keyof typeof AWS_SPLUNK_EXAMPLES,
    params: Record<string, unknown>,
    secrets = {},
  ) => {
    const example = loadAwsSplunkExample(AWS_SPLUNK_EXAMPLES[name]);
    return { ...example, fetchInterval: '1 minute', params: { ...example.params, ...params }, secrets };
  };
  running = await startExampleSystem(
    {
      securityhub: instance('securityhub', {
        endpoint_url: sources.securityhub.params.endpoint_url,
        region: 'us-east-1',
      }),
      guardduty: instance('guardduty', {
        endpoint_url: sources.guardduty.params.endpoint_url,
        region: 'us-east-1',
      }),
      splunk: instance(
        'splunk',
        { url: sources.splunk.params.url, poll_interval_seconds: 0.05 },
        { token: { env: 'FERRY_EXAMPLE_SPLUNK_TOKEN' } },
      ),
      splunkSaved: instance(
        'splunkSaved',
        { url: sources.splunkSaved.params.url, poll_interval_seconds: 0.05 },
        { token: { env: 'FERRY_EXAMPLE_SPLUNK_SAVED_TOKEN' } },
      ),
    },
    {
      FERRY_EXAMPLE_SPLUNK_TOKEN: sources.splunk.secrets.token!,
      FERRY_EXAMPLE_SPLUNK_SAVED_TOKEN: sources.splunkSaved.secrets.token!,
    },
  );
}, 150_000);

afterAll(async () => {
  await running?.close();
  for (const source of Object.values(sources ?? {})) await source.close();
});

describe.each(['securityhub', 'guardduty', 'splunk', 'splunkSaved'] as const)(
  'the %s example',
  { timeout: 120_000 },
  (name) => {
    it('passes `ferry test`', async () => {
      const result = await running.ferry('test', name);

      expect(result.stdout.trim()).toBe('ok');
      expect(result.code).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(sources.splunk.secrets.token);
      expect(result.stdout + result.stderr).not.toContain(sources.splunkSaved.secrets.token);
    });

    it('prints the incidents of `ferry fetch --debug` and pushes nothing', async () => {
      const result = await running.ferry('fetch', name, '--debug');

      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout + result.stderr).not.toContain(sources.splunk.secrets.token);
      expect(result.stdout + result.stderr).not.toContain(sources.splunkSaved.secrets.token);
      const incidents = JSON.parse(result.stdout) as Incident[];
      expect(incidents.map((incident) => incident.dbotMirrorId).sort()).toEqual([...expected[name]!].sort());
      expect(await storedIds(running.system.incidents, name)).toEqual([]);
    });

    it('delivers each kept event once in a live fetch, and nothing more in the next', async () => {
      const first = await running.system.invoke(name, 'fetch');
      const second = await running.system.invoke(name, 'fetch');

      expect(first).toMatchObject({ status: 'ok', pushed: expected[name]!.length });
      expect(second).toMatchObject({ status: 'ok', pushed: 0 });
      expect(await storedIds(running.system.incidents, name)).toEqual([...expected[name]!].sort());
    });
  },
);
