import { ConfigError } from '../errors.js';
import type { Incident } from '../incident.js';
import type { IncidentBatch, KeyedIncident } from './sink.js';
import type { SinkErrorHints } from './sink-error.js';
import { authHeaders, webhookAuth, type XsoarAuth } from './xsoar-auth.js';
import {
  createdId,
  createdIds,
  searchUrlOf,
  toWebhookIncident,
  toXsoarIncident,
  webhookUrl,
  xsoarIncidentUrl,
} from './xsoar-requests.js';
import type { XsoarSinkOptions } from './xsoar-sink.js';

/** One incident as it goes out: its key and the (possibly shortened) incident. */
export interface Outgoing {
  readonly item: KeyedIncident;
  readonly incident: Incident;
}

/** Where XSOAR's incident search is, to resolve creates whose outcome is unknown. */
export interface SearchTarget {
  readonly url: string;
  readonly headers: () => Record<string, string>;
  /** The `sourceInstance` XSOAR gives the incidents this sink creates. */
  readonly sourceInstance: (batch: IncidentBatch) => string;
}

/** Where and how the `xsoar` sink sends incidents, and what its errors tell the user to check. */
export interface XsoarTarget {
  readonly endpoint: string;
  /** Made per request: an advanced key's nonce is never reused. */
  readonly headers: () => Record<string, string>;
  /** Incidents per request: 1 for the REST API (it has no batch create), more for the webhook. */
  readonly perRequest: number;
  readonly body: (outgoing: readonly Outgoing[], batch: IncidentBatch) => unknown;
  /** The created incidents' ids in a 2xx answer, one per incident sent, or `undefined` where unknown. */
  readonly ids: (answer: unknown, sent: number) => (string | undefined)[];
  /** Absent: the webhook without an API key, whose own `duplication_key` drops a re-sent incident. */
  readonly search?: SearchTarget;
  readonly hints: (key: string) => SinkErrorHints;
}

/** The API key of the REST API (and of the webhook's searches), standard or advanced. */
const apiAuth = (options: XsoarSinkOptions, version: 6 | 8): XsoarAuth => {
  const apiKey = options.apiKey as string;
  if (version === 8 && !options.apiKeyId) {
    throw new ConfigError(
      'Sink "xsoar": XSOAR 8 needs "apiKeyId", the ID of the API key (Settings → API Keys, ID column).',
      undefined,
      'apiKeyId',
    );
  }
  return options.apiKeyType === 'advanced'
    ? { kind: 'advanced', apiKey, apiKeyId: options.apiKeyId as string }
    : { kind: 'standard', apiKey, ...(version === 8 ? { apiKeyId: options.apiKeyId as string } : {}) };
};

const apiHints = (version: 6 | 8, key: string): SinkErrorHints => ({
  auth:
    version === 8
      ? 'XSOAR refused the API key: check the sink\'s "apiKey" and "apiKeyId" secrets, and "apiKeyType" ("advanced" for an Advanced key; its ID is in Settings → API Keys), and that the machine clock is right (an advanced key is signed with the time)'
      : 'XSOAR refused the API key: check the sink\'s "apiKey" secret, and that the key exists',
  forbidden:
    "XSOAR refused the request for the key's role: give the API key a role that may create and search incidents (Settings → Users and Roles), or use another key",
  unlicensed:
    'XSOAR answered 402, its licence does not cover this API (expired, or the API is not licensed): renew or extend the licence, nothing in Ferry can fix it',
  notFound:
    version === 8
      ? 'there is no XSOAR 8 API at this URL: set "sink.url" to the API URL, https://api-<fqdn> (Settings → API Keys → Copy API URL)'
      : 'there is no XSOAR API at this URL: set "sink.url" to the XSOAR server\'s URL (for XSOAR 8, also set "version": 8)',
  rejected: `XSOAR rejected incident "${key}": check its fields (type, CustomFields) and the sink's "playbookId"`,
  unavailable:
    'XSOAR is unavailable or rate limiting; the next fetch retries, and the delivery ledger resolves what was in doubt',
});

/** XSOAR 6's `/incident` or XSOAR 8's `/xsoar/public/v1/incident`, authenticated by an API key. */
export const apiTarget = (base: URL, options: XsoarSinkOptions): XsoarTarget => {
  const version = options.version ?? 6;
  if (!options.apiKey)
    throw new ConfigError('Sink "xsoar": the REST API needs "apiKey".', undefined, 'apiKey');
  const auth = apiAuth(options, version);
  const endpoint = xsoarIncidentUrl(base, version);
  const headers = () => authHeaders(auth);
  return {
    endpoint,
    headers,
    perRequest: 1,
    body: ([first], batch) => {
      const { item, incident } = first as Outgoing;
      return toXsoarIncident(item, incident, batch, options);
    },
    ids: (answer) => [createdId(answer)],
    search: { url: searchUrlOf(endpoint), headers, sourceInstance: (batch) => batch.instance },
    hints: (key) => apiHints(version, key),
  };
};

/** Incidents per webhook request. @default 50 */
export const DEFAULT_WEBHOOK_BATCH = 50;

/** The Generic Webhook's `/instance/execute/<instance>`, with basic or `_header:` auth. */
export const webhookTarget = (base: URL, options: XsoarSinkOptions): XsoarTarget => {
  const instance = options.webhookInstance;
  if (!instance) {
    throw new ConfigError(
      'Sink "xsoar" in webhook mode needs "webhookInstance", the Generic Webhook instance\'s name.',
      undefined,
      'webhookInstance',
    );
  }
  const auth = webhookAuth(options.username, options.password);
  const version = options.version ?? 6;
  let search: SearchTarget | undefined;
  if (options.apiKey) {
    const apiBase = options.apiUrl ? new URL(options.apiUrl) : base;
    if (version === 8 && !options.apiUrl) {
      throw new ConfigError(
        'Sink "xsoar": a webhook on XSOAR 8 with "apiKey" needs "apiUrl", the API URL https://api-<fqdn> (the webhook\'s URL is https://ext-<fqdn>/xsoar).',
        undefined,
        'apiUrl',
      );
    }
    const searchAuth = apiAuth(options, version);
    search = {
      url: searchUrlOf(xsoarIncidentUrl(apiBase, version)),
      headers: () => authHeaders(searchAuth),
      // XSOAR gives incidents an integration instance creates that instance's name.
      sourceInstance: () => instance,
    };
  }
  return {
    endpoint: webhookUrl(base, instance),
    headers: () => authHeaders(auth),
    perRequest: Math.max(1, options.batchSize ?? DEFAULT_WEBHOOK_BATCH),
    body: (outgoing, batch) =>
      outgoing.map(({ item, incident }) => toWebhookIncident(item, incident, batch, options)),
    ids: (answer, sent) => {
      const ids = createdIds(answer);
      // Fewer than sent: the webhook's duplication_key dropped some, and which is not said.
      return ids.length === sent ? ids : Array.from({ length: sent }, () => undefined);
    },
    ...(search ? { search } : {}),
    hints: (key) => ({
      auth: 'the Generic Webhook refused the credentials: check the sink\'s "credentials" secrets against the webhook instance\'s username and password (a username "_header:<Name>" sends the password as header <Name>)',
      forbidden:
        'XSOAR refused the search for the API key\'s role: give "apiKey" a role that may search incidents',
      unlicensed: apiHints(version, key).unlicensed,
      notFound: `no Generic Webhook instance "${instance}" answers here: check "webhookInstance", that the instance is enabled, and (XSOAR 6) that the server allows instance.execute.external.${instance}`,
      rejected: `the Generic Webhook rejected incident "${key}" (or a request holding it)`,
      unavailable: 'the Generic Webhook is unavailable; the next fetch retries',
    }),
  };
};
