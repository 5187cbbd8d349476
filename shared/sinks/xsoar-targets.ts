import { ConfigError } from '../errors.js';
import type { Incident } from '../incident.js';
import type { IncidentBatch, KeyedIncident } from './sink.js';
import type { SinkErrorHints } from './sink-error.js';
import { toWebhookIncident, toXsoarIncident, webhookUrl, xsoarIncidentUrl } from './xsoar-requests.js';
import type { XsoarSinkOptions } from './xsoar-sink.js';

/** Where and how the `xsoar` sink sends an incident, and what its errors tell the user to check. */
export interface XsoarTarget {
  readonly endpoint: string;
  readonly headers: Record<string, string>;
  readonly body: (item: KeyedIncident, incident: Incident, batch: IncidentBatch) => unknown;
  readonly hints: (key: string) => SinkErrorHints;
}

/** XSOAR 6's `/incident` or XSOAR 8's `/xsoar/public/v1/incident`, authenticated by an API key. */
export const apiTarget = (base: URL, options: XsoarSinkOptions): XsoarTarget => {
  const version = options.version ?? 6;
  if (!options.apiKey)
    throw new ConfigError('Sink "xsoar": the REST API needs "apiKey".', undefined, 'apiKey');
  if (version === 8 && !options.apiKeyId) {
    throw new ConfigError(
      'Sink "xsoar": XSOAR 8 needs "apiKeyId", the ID of the API key (Settings → API Keys, ID column).',
      undefined,
      'apiKeyId',
    );
  }
  const endpoint = xsoarIncidentUrl(base, version);
  return {
    endpoint,
    headers: {
      authorization: options.apiKey,
      ...(version === 8 ? { 'x-xdr-auth-id': options.apiKeyId as string } : {}),
    },
    body: (_item, incident) => toXsoarIncident(incident, options),
    hints: (key) => ({
      auth:
        version === 8
          ? 'XSOAR refused the API key: check the sink\'s "apiKey" and "apiKeyId" secrets (a standard key; its ID is in Settings → API Keys) and that its role may create incidents'
          : 'XSOAR refused the API key: check the sink\'s "apiKey" secret, and that the key exists and may create incidents',
      notFound:
        version === 8
          ? 'there is no XSOAR 8 API at this URL: set "sink.url" to the API URL, https://api-<fqdn> (Settings → API Keys → Copy API URL)'
          : 'there is no XSOAR API at this URL: set "sink.url" to the XSOAR server\'s URL (for XSOAR 8, also set "version": 8)',
      rejected: `XSOAR rejected incident "${key}": check its fields (type, CustomFields) and the sink's "playbookId"`,
      unavailable:
        'XSOAR is unavailable or rate limiting; the next fetch retries, and the delivery ledger skips what was already created',
    }),
  };
};

/** The Generic Webhook's `/instance/execute/<instance>`, with basic auth. */
export const webhookTarget = (base: URL, options: XsoarSinkOptions): XsoarTarget => {
  const instance = options.webhookInstance;
  if (!instance) {
    throw new ConfigError(
      'Sink "xsoar" in webhook mode needs "webhookInstance", the Generic Webhook instance\'s name.',
      undefined,
      'webhookInstance',
    );
  }
  const credentials =
    options.username === undefined
      ? undefined
      : Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64');
  return {
    endpoint: webhookUrl(base, instance),
    headers: credentials ? { authorization: `Basic ${credentials}` } : {},
    body: (item, incident, batch) =>
      toWebhookIncident({ key: item.key, incident }, batch, options.incidentType),
    hints: (key) => ({
      auth: 'the Generic Webhook refused the credentials: check the sink\'s "credentials" secrets against the webhook instance\'s username and password',
      notFound: `no Generic Webhook instance "${instance}" answers here: check "webhookInstance", that the instance is enabled, and (XSOAR 6) that the server allows instance.execute.external.${instance}`,
      rejected: `the Generic Webhook rejected incident "${key}"`,
      unavailable: 'the Generic Webhook is unavailable; the next fetch retries',
    }),
  };
};
