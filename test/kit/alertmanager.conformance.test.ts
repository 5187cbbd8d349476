import { randomUUID } from 'node:crypto';
import { afterAll } from 'vitest';
import { alertmanager } from '../../functions/alertmanager/connector.js';
import { episodeKey } from '../../functions/alertmanager/episodes.js';
import { runConformanceSuite, startRecordingProxy } from '../../shared/kit/index.js';
import {
  type AlertmanagerServer,
  skipWithoutAlertmanager,
  startAlertmanager,
} from '../helpers/alertmanager.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';

/**
 * The real Alertmanager (Debian's prometheus-alertmanager), one for the file; each check gets its own
 * `run` label and filters on it, so it sees only its alerts. Alertmanager neither authenticates nor
 * rate-limits: a recording proxy in front answers the 429.
 */
let running: Promise<AlertmanagerServer> | undefined;
const server = () => {
  running ??= startAlertmanager();
  return running;
};

afterAll(async () => {
  await (await running)?.stop();
});

interface Listed {
  fingerprint: string;
  startsAt: string;
  labels: Record<string, string>;
}

if (!skipWithoutAlertmanager) {
  runConformanceSuite({
    stateStore: kitDynamo,
    connector: alertmanager,
    startSource: async () => {
      const am = await server();
      const run = `kit-${randomUUID().slice(0, 8)}`;
      const proxy = await startRecordingProxy(am.url);
      let added = 0;
      return {
        params: { url: proxy.url, filter: [`run="${run}"`] },
        secrets: {},
        wrongSecrets: {},
        async add(times) {
          const alerts = times.map((at) => ({
            labels: { alertname: 'KitAlert', run, n: String(++added), severity: 'warning' },
            annotations: { summary: 'conformance kit' },
            startsAt: at.toISOString(),
            // Firing for the whole check: without endsAt Alertmanager resolves it after resolve_timeout.
            endsAt: new Date(Date.now() + 3_600_000).toISOString(),
          }));
          await am.post(alerts);
          await am.waitForActive([`run="${run}"`], added);
          const query = new URLSearchParams({ filter: `run="${run}"` });
          const listed = (await (await fetch(`${am.url}/api/v2/alerts?${query}`)).json()) as Listed[];
          const byN = new Map(listed.map((alert) => [alert.labels.n, alert]));
          return alerts.map((alert) => {
            const found = byN.get(alert.labels.n)!;
            return episodeKey(found.fingerprint, Date.parse(found.startsAt));
          });
        },
        rateLimit: proxy,
        close: () => proxy.close(),
      };
    },
    skip: {
      firstFetch:
        'Alertmanager lists the alerts firing now, not a history: an alert firing since before first_fetch is current and is fetched',
      credentials:
        'Alertmanager has no authentication of its own (it is put behind a reverse proxy for that)',
    },
    badParams: [
      {
        title: 'a URL that is not one',
        params: { url: 'not a url' },
        message: 'params.url must be the Alertmanager base URL',
      },
      {
        title: 'a matcher without an operator',
        params: { filter: ['severity'] },
        message: 'params.filter[0] must be one matcher',
      },
    ],
  });
}
