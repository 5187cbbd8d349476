import type { ConnectorContext } from '../../shared/connector.js';
import { ConfigError, ErrorCodes, SourceError } from '../../shared/errors.js';
import type { AlertmanagerParams } from './params.js';

/** One alert as `GET /api/v2/alerts` returns it (Alertmanager's `gettableAlert`). */
export interface GettableAlert {
  fingerprint: string;
  startsAt: string;
  endsAt?: string;
  updatedAt?: string;
  generatorURL?: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  receivers?: { name: string }[];
  status?: { state?: 'active' | 'suppressed' | 'unprocessed'; silencedBy?: string[]; inhibitedBy?: string[] };
}

type Ctx = ConnectorContext<AlertmanagerParams>;

/** The base URL for messages: no credentials, no query (error messages end up in the history). */
const describeUrl = (url: URL): string => `${url.origin}${url.pathname}`;

/** `path` under the Alertmanager base URL, which may carry a route prefix (`--web.route-prefix`). */
export const apiUrl = (base: string, path: string): URL =>
  new URL(path, base.endsWith('/') ? base : `${base}/`);

/**
 * The authorization header from the instance's optional secrets: `token` (bearer, as in front of an
 * OAuth2 proxy) or `username` + `password` (basic, Alertmanager's own `--web.config.file`).
 */
export const authHeaders = (ctx: Ctx): Record<string, string> => {
  const { token, username, password } = ctx.secrets;
  if (token !== undefined && (username !== undefined || password !== undefined)) {
    throw new ConfigError(
      `Instance "${ctx.instanceId}": give either the secret "token" (bearer) or "username" and "password" (basic auth), not both.`,
      ctx.instanceId,
      'secrets',
    );
  }
  if (token !== undefined) return { authorization: `Bearer ${token}` };
  if (username === undefined && password === undefined) return {};
  if (username === undefined || password === undefined) {
    throw new ConfigError(
      `Instance "${ctx.instanceId}": basic auth needs both secrets "username" and "password"; add the missing one.`,
      ctx.instanceId,
      username === undefined ? 'secrets.username' : 'secrets.password',
    );
  }
  return { authorization: `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}` };
};

const isAlert = (value: unknown): value is GettableAlert => {
  const alert = value as Partial<GettableAlert> | null;
  return (
    typeof alert?.fingerprint === 'string' &&
    typeof alert.startsAt === 'string' &&
    !Number.isNaN(Date.parse(alert.startsAt)) &&
    typeof alert.labels === 'object' &&
    alert.labels !== null
  );
};

/**
 * Lists every alert Alertmanager holds that matches `filter` and `receiver`, in every state. The
 * active/silenced/inhibited/unprocessed switches are applied by the caller, not the server: the cursor
 * must know that a fetched alert still fires while it is silenced, or it would fetch it again when
 * the silence expires.
 */
export const listAlerts = async (ctx: Ctx): Promise<GettableAlert[]> => {
  const url = apiUrl(ctx.params.url, 'api/v2/alerts');
  for (const state of ['active', 'silenced', 'inhibited', 'unprocessed']) url.searchParams.set(state, 'true');
  // `filter` repeats: one query parameter per matcher (the shared client's `query` sets each key once).
  for (const matcher of ctx.params.filter) url.searchParams.append('filter', matcher);
  if (ctx.params.receiver) url.searchParams.set('receiver', ctx.params.receiver);
  let body: unknown;
  try {
    ({ body } = await ctx.http.request<unknown>({ url: url.toString(), headers: authHeaders(ctx) }));
  } catch (error) {
    if (error instanceof SourceError && error.details.status === 400) {
      throw new SourceError(
        ErrorCodes.SOURCE_HTTP,
        `${error.message} Alertmanager rejected the alert query: check params.filter (one matcher per entry, such as severity="critical") and params.receiver (a regular expression).`,
        error.details,
        { cause: error },
      );
    }
    throw error;
  }
  if (!Array.isArray(body)) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `GET ${describeUrl(url)} did not answer with a JSON array of alerts: check that params.url is the Alertmanager base URL (with its route prefix, if any).`,
    );
  }
  const bad = body.findIndex((alert) => !isAlert(alert));
  if (bad !== -1) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `Alertmanager listed an alert without a fingerprint, startsAt or labels (entry #${bad}): this is not the Alertmanager v2 API.`,
    );
  }
  return body as GettableAlert[];
};

/**
 * XSOAR's test-module for Alertmanager: `/-/ready` proves the URL and that the server is up,
 * `/api/v2/status` the v2 API and the credentials.
 */
export const checkAlertmanager = async (ctx: Ctx): Promise<void> => {
  const headers = authHeaders(ctx);
  const where = `Alertmanager at ${describeUrl(apiUrl(ctx.params.url, ''))}`;
  try {
    await ctx.http.request({
      url: apiUrl(ctx.params.url, '-/ready').toString(),
      headers,
      responseType: 'text',
    });
  } catch (error) {
    if (error instanceof SourceError && error.details.status === 404) {
      throw new SourceError(
        ErrorCodes.SOURCE_HTTP,
        `${where}: GET /-/ready answered 404, so this is not an Alertmanager. Check params.url (such as http://alertmanager:9093, with the route prefix if --web.route-prefix is set).`,
        error.details,
        { cause: error },
      );
    }
    if (error instanceof SourceError && error.details.status === 503) {
      throw new SourceError(
        ErrorCodes.SOURCE_HTTP,
        `${where} is not ready (GET /-/ready answered 503): it is starting or cannot reach its cluster peers. Try again in a minute.`,
        error.details,
        { cause: error },
      );
    }
    throw error;
  }
  const { body } = await ctx.http.request<{ versionInfo?: unknown; uptime?: unknown } | undefined>({
    url: apiUrl(ctx.params.url, 'api/v2/status').toString(),
    headers,
  });
  if (typeof body !== 'object' || body === null || !('versionInfo' in body) || !('uptime' in body)) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `${where}: GET /api/v2/status did not answer with Alertmanager's status (versionInfo, uptime). Alertmanager 0.16 or later is needed for the v2 API.`,
    );
  }
};
