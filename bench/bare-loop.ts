import { type DemoAlert, helloworld } from '../functions/helloworld/connector.js';
import type { ConnectorContext } from '../shared/connector.js';
import { BENCH_API_KEY } from './servers/protocol.js';

export interface BareLoopOptions {
  readonly sourceUrl: string;
  readonly sinkUrl: string;
  /** Epoch ms: fetch alerts created in [from, until). */
  readonly from: number;
  readonly until: number;
  /** Alerts per source request. @default 1000 */
  readonly pageSize?: number;
  /** Incidents per sink request. @default 100, the ferry sink's default */
  readonly batchSize?: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The baseline: what a hand-written loop does to move the same alerts from the same source to the
 * same sink — page through `GET /alerts`, map each alert with the connector's own `toIncident`, POST
 * them in batches — with no state, no validation, no dedupe beyond the page boundary and no
 * retries. Returns how many incidents it pushed.
 */
export const bareLoop = async (options: BareLoopOptions): Promise<number> => {
  const pageSize = options.pageSize ?? 1000;
  const batchSize = options.batchSize ?? 100;
  const endpoint = `${options.sinkUrl}/incidents`;
  // toIncident of the helloworld connector reads nothing from its context.
  const ctx = undefined as unknown as ConnectorContext<{ url: string }>;
  let since = options.from;
  // Ids at the last page's last timestamp: the next page starts there, inclusive.
  let boundary = new Set<string>();
  let pushed = 0;
  for (;;) {
    const url = `${options.sourceUrl}/alerts?since=${iso(since)}&until=${iso(options.until)}&limit=${pageSize}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${BENCH_API_KEY}` } });
    if (!response.ok) throw new Error(`bare loop: GET /alerts answered ${response.status}`);
    const { alerts } = (await response.json()) as { alerts: DemoAlert[] };
    const incidents = alerts
      .filter((alert) => !boundary.has(alert.id))
      .map((alert) => helloworld.toIncident(alert, ctx));
    for (let offset = 0; offset < incidents.length; offset += batchSize) {
      const batch = incidents.slice(offset, offset + batchSize);
      const answer = await fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ instance: 'bare', connector: 'bare', runId: 'bare', incidents: batch }),
      });
      const { accepted } = (await answer.json()) as { accepted: number };
      if (accepted !== batch.length)
        throw new Error(`bare loop: the sink accepted ${accepted} of ${batch.length}`);
    }
    pushed += incidents.length;
    const last = alerts.at(-1);
    if (alerts.length < pageSize || !last) return pushed;
    const lastMs = Date.parse(last.created);
    const atLast = alerts.filter((alert) => alert.created === last.created).map((alert) => alert.id);
    boundary = lastMs === since ? new Set([...boundary, ...atLast]) : new Set(atLast);
    since = lastMs;
  }
};
