import { readFileSync } from 'node:fs';
import { instanceSchema } from '../../../shared/config/schema.js';
import type { ConformanceSource } from '../../../shared/kit/index.js';
import { guardDutySource, securityHubSource } from './aws-sources.js';
import { type SplunkServer, startSplunk } from './splunk.js';

/** The shipped configurations of `examples/aws/` and `examples/splunk/`, by name. */
export const AWS_SPLUNK_EXAMPLES = {
  securityhub: 'aws/securityhub-findings.json',
  guardduty: 'aws/guardduty-findings.json',
  splunk: 'splunk/splunk-es-notable-events.json',
  splunkSaved: 'splunk/splunk-es-correlation-search.json',
} as const;

/** An example read verbatim, checked against the config file's instance schema. */
export const loadAwsSplunkExample = (file: string) =>
  instanceSchema.parse(
    JSON.parse(readFileSync(new URL(`../../../examples/${file}`, import.meta.url), 'utf8')),
  );

/** The Security Hub example's parameters with a local endpoint (its own account's hub otherwise). */
export const securityHubExampleSource = async () =>
  securityHubSource(loadAwsSplunkExample(AWS_SPLUNK_EXAMPLES.securityhub).params);

/** The GuardDuty example's parameters, its detector being the local GuardDuty's. */
export const guardDutyExampleSource = async () => {
  const { params } = loadAwsSplunkExample(AWS_SPLUNK_EXAMPLES.guardduty);
  return guardDutySource(params);
};

/**
 * A local splunkd and a Splunk example pointed at it (only the URL's origin moved): the notable-events
 * SPL, or the correlation search example, saved in its app as ES ships it.
 */
export const splunkExampleSource = async (
  example: 'splunk' | 'splunkSaved' = 'splunk',
): Promise<ConformanceSource & { server: SplunkServer }> => {
  const server = await startSplunk();
  const { params } = loadAwsSplunkExample(AWS_SPLUNK_EXAMPLES[example]);
  if (example === 'splunkSaved') {
    server.addSavedSearch({
      name: params.saved_search as string,
      app: params.app as string,
      search: 'search `notable`',
    });
  }
  return {
    server,
    // Polling every 50 ms keeps the suite quick; the example's 1 s is kept everywhere else.
    params: { ...params, url: server.url, poll_interval_seconds: 0.05 },
    secrets: { token: server.token },
    wrongSecrets: { token: `${server.token.slice(0, 8)}-revoked` },
    add: async (times) => times.map((time) => server.add(time).event_id),
    // splunkd answers no 429: over its search quota it refuses the job with 503, which the kit reads as
    // the vendor's rate-limited answer.
    rateLimit: {
      next: (seconds) => server.rateLimitNext(seconds),
      log: () =>
        server.requests.map((request) => ({
          ...request,
          status: request.status === 503 ? 429 : request.status,
        })),
    },
    close: () => server.close(),
  };
};
