import { randomUUID } from 'node:crypto';
import { type Context, Hono } from 'hono';
import { basicClientOf, bearerOf, TokenIssuer } from './oauth-tokens.js';
import {
  advertise,
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * Microsoft Graph security alerts v2 and the Microsoft identity platform's token endpoint, as documented:
 * - Token (learn.microsoft.com, "Microsoft identity platform and the OAuth 2.0 client credentials
 *   flow"): `POST https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token`, a form with
 *   `grant_type=client_credentials`, `scope=https://graph.microsoft.com/.default` (a client credentials
 *   request must ask `<resource>/.default`: else 400 `invalid_scope`, AADSTS1002012), and the client's
 *   `client_id`/`client_secret` in the form (HTTP Basic also accepted). Success: `{"token_type":
 *   "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token"}`. A wrong secret: 401
 *   `{"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided..."}`.
 *   The login host is another origin than graph.microsoft.com.
 * - API (learn.microsoft.com/graph/api/security-list-alerts_v2, "List alerts_v2"; "Microsoft Graph
 *   throttling guidance"): `GET /v1.0/security/alerts_v2` with `Authorization: Bearer {token}`;
 *   OData `$filter` on createdDateTime, lastUpdateDateTime, severity, status, serviceSource,
 *   classification, determination, assignedTo; `$top`, `$skip`, `$count`; no other query options.
 *   The most recent alerts come first; `@odata.nextLink` carries the next page. A missing or expired
 *   token: 401 `{"error": {"code": "InvalidAuthenticationToken", "message": "Access token has expired or
 *   is not yet valid."}}`; throttled: 429 `TooManyRequests` with `Retry-After` (seconds).
 */

export interface GraphAlert {
  '@odata.type': '#microsoft.graph.security.alert';
  id: string;
  providerAlertId: string;
  incidentId: string;
  status: 'new' | 'inProgress' | 'resolved';
  severity: 'informational' | 'low' | 'medium' | 'high';
  classification: null;
  determination: null;
  serviceSource: 'microsoftDefenderForEndpoint';
  detectionSource: 'antivirus';
  title: string;
  description: string;
  category: string;
  alertWebUrl: string;
  createdDateTime: string;
  lastUpdateDateTime: string;
  firstActivityDateTime: string;
  mitreTechniques: string[];
  tenantId: string;
}

export interface GraphServer extends RunningServer, VendorControls {
  /** The login.microsoftonline.com stand-in: another origin than the API's. */
  readonly login: RunningServer;
  readonly tenantId: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly tokens: TokenIssuer;
  add(created: number | Date, fields?: Partial<GraphAlert>): GraphAlert;
}

const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
const MAX_TOP = 2000;
const FILTERABLE_TIMES = ['createdDateTime', 'lastUpdateDateTime'] as const;
const FILTERABLE_TEXT = [
  'severity',
  'status',
  'serviceSource',
  'classification',
  'determination',
  'assignedTo',
];
const QUERY_OPTIONS = ['$filter', '$top', '$skip', '$count', '$skiptoken'];
const SEVERITIES: GraphAlert['severity'][] = ['informational', 'low', 'medium', 'high'];

/** Entra ID's 7-digit fractional seconds: `2026-03-10T12:00:00.1230000Z`. */
const graphTime = (ms: number) => `${new Date(ms).toISOString().slice(0, 23)}0000Z`;

const aadError = (c: Context, status: 400 | 401, error: string, description: string, code: number) =>
  c.json(
    {
      error,
      error_description: `AADSTS${code}: ${description} Trace ID: ${randomUUID()} Correlation ID: ${randomUUID()} Timestamp: ${new Date().toISOString()}`,
      error_codes: [code],
      timestamp: new Date().toISOString(),
      trace_id: randomUUID(),
      correlation_id: randomUUID(),
    },
    status,
  );

const graphError = (c: Context, status: 400 | 401 | 429, code: string, message: string) =>
  c.json(
    { error: { code, message, innerError: { date: new Date().toISOString(), 'request-id': randomUUID() } } },
    status,
  );

type Clause = (alert: GraphAlert) => boolean;

/** The OData `$filter` subset alerts_v2 documents: comparisons joined by `and`; anything else is a 400. */
const parseFilter = (filter: string): Clause[] | string => {
  const clauses: Clause[] = [];
  for (const part of filter.split(/\s+and\s+/i)) {
    const match = /^\s*(\w+)\s+(eq|ne|gt|ge|lt|le)\s+(.+?)\s*$/.exec(part);
    if (!match) return `Invalid filter clause: ${part}`;
    const [, field, op, literal] = match;
    if ((FILTERABLE_TIMES as readonly string[]).includes(field!)) {
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?(Z|[+-]\d{2}:\d{2})$/.test(literal!)) {
        return `The DateTimeOffset literal '${literal}' for ${field} is not valid.`;
      }
      const ms = Date.parse(literal!);
      const compare = {
        eq: (a: number) => a === ms,
        ne: (a: number) => a !== ms,
        gt: (a: number) => a > ms,
        ge: (a: number) => a >= ms,
        lt: (a: number) => a < ms,
        le: (a: number) => a <= ms,
      }[op as 'eq'];
      clauses.push((alert) => compare(Date.parse(alert[field as (typeof FILTERABLE_TIMES)[number]])));
    } else if (FILTERABLE_TEXT.includes(field!) && (op === 'eq' || op === 'ne') && /^'.*'$/.test(literal!)) {
      const value = literal!.slice(1, -1);
      clauses.push(
        (alert) =>
          (String((alert as unknown as Record<string, unknown>)[field!]) === value) === (op === 'eq'),
      );
    } else {
      return `Could not find a property named '${field}' on type 'microsoft.graph.security.alert', or it cannot be filtered with '${op}'.`;
    }
  }
  return clauses;
};

/** Starts the identity platform's token endpoint and Graph's alerts_v2 on two origins of 127.0.0.1. */
export const startMicrosoftGraph = async (
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<GraphServer> => {
  const tenantId = 'b3c1b5fc-828c-45fa-a1e1-10d74f6d6e9c';
  const clientId = '6731de76-14a6-49ae-97bc-6eba6914391e';
  const clientSecret = 'qWgdYAmab0YSkuL1qKv5bPX~Vu8sQ0d~xz7pAaBc';
  const tokens = new TokenIssuer(options.tokenLifetimeSeconds ?? 3599, 'eyJ0eXAiOiJKV1QiLCJub25jZSI6');
  const requests: RecordedRequest[] = [];
  const quota = new Quota(10_000, 600_000); // Graph security: per app per tenant, per 10 minutes
  const stored: GraphAlert[] = [];
  let injected: number | undefined;

  const login = new Hono();
  login.use(recordRequests(requests));
  login.post('/:tenant/oauth2/v2.0/token', async (c) => {
    if (c.req.param('tenant') !== tenantId) {
      return aadError(c, 400, 'invalid_request', `Tenant '${c.req.param('tenant')}' not found.`, 90002);
    }
    if (!(c.req.header('content-type') ?? '').startsWith('application/x-www-form-urlencoded')) {
      return aadError(
        c,
        400,
        'invalid_request',
        "The request body must contain the following parameter: 'grant_type'.",
        900144,
      );
    }
    const form = new URLSearchParams(await c.req.text());
    if (form.get('grant_type') !== 'client_credentials') {
      return aadError(
        c,
        400,
        'unsupported_grant_type',
        'The provided value for the input parameter grant_type is not valid.',
        70003,
      );
    }
    const basic = basicClientOf(c.req.header('authorization'));
    const id = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (id !== clientId) {
      return aadError(
        c,
        400,
        'unauthorized_client',
        `Application with identifier '${id}' was not found in the directory.`,
        700016,
      );
    }
    if (secret !== clientSecret) {
      return aadError(
        c,
        401,
        'invalid_client',
        'Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID.',
        7000215,
      );
    }
    if (form.get('scope') !== GRAPH_SCOPE) {
      return aadError(
        c,
        400,
        'invalid_scope',
        `The provided value for scope ${form.get('scope')} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
        1002012,
      );
    }
    const issued = tokens.issue();
    return c.json({
      token_type: 'Bearer',
      expires_in: tokens.lifetimeSeconds,
      ext_expires_in: tokens.lifetimeSeconds,
      access_token: issued.token,
    });
  });

  const graph = new Hono();
  graph.use(recordRequests(requests));
  graph.get('/v1.0/security/alerts_v2', (c) => {
    const token = bearerOf(c.req.header('authorization'));
    if (tokens.check(token) !== 'valid') {
      return graphError(
        c,
        401,
        'InvalidAuthenticationToken',
        token ? 'Access token has expired or is not yet valid.' : 'Access token is empty.',
      );
    }
    const limited = injected ?? (quota.take() ? undefined : quota.secondsToReset());
    injected = undefined;
    if (limited !== undefined) {
      c.header('Retry-After', String(limited));
      advertise(c, limited * 1000);
      return graphError(c, 429, 'TooManyRequests', 'Too many requests.');
    }
    const url = new URL(c.req.url);
    const unknown = [...url.searchParams.keys()].find((key) => !QUERY_OPTIONS.includes(key));
    if (unknown)
      return graphError(
        c,
        400,
        'BadRequest',
        `Query option '${unknown}' is not allowed. Allowed: ${QUERY_OPTIONS.join(', ')}.`,
      );
    const resume = url.searchParams.get('$skiptoken');
    const skip =
      resume === null
        ? Number(url.searchParams.get('$skip') ?? 0)
        : Number(Buffer.from(resume, 'base64url').toString());
    const top = Number(url.searchParams.get('$top') ?? MAX_TOP);
    if (!Number.isInteger(top) || top < 1 || top > MAX_TOP || !Number.isInteger(skip) || skip < 0) {
      return graphError(
        c,
        400,
        'BadRequest',
        `Invalid $top or $skip; $top must be between 1 and ${MAX_TOP}.`,
      );
    }
    const clauses = parseFilter(url.searchParams.get('$filter') ?? '');
    if (typeof clauses === 'string' && url.searchParams.has('$filter'))
      return graphError(c, 400, 'BadRequest', clauses);
    const matching = stored
      .filter((alert) => typeof clauses === 'string' || clauses.every((clause) => clause(alert)))
      .sort(
        (a, b) => Date.parse(b.createdDateTime) - Date.parse(a.createdDateTime) || b.id.localeCompare(a.id),
      );
    const page = matching.slice(skip, skip + top);
    const body: Record<string, unknown> = {
      '@odata.context': `${server.url}/v1.0/$metadata#security/alerts_v2`,
      value: page,
    };
    if (url.searchParams.get('$count') === 'true') body['@odata.count'] = matching.length;
    if (skip + page.length < matching.length) {
      const next = new URL(`${server.url}/v1.0/security/alerts_v2`);
      for (const key of ['$filter', '$top', '$count']) {
        const value = url.searchParams.get(key);
        if (value !== null) next.searchParams.set(key, value);
      }
      next.searchParams.set('$skiptoken', Buffer.from(String(skip + page.length)).toString('base64url'));
      body['@odata.nextLink'] = next.toString();
    }
    return c.json(body);
  });
  graph.notFound(
    (c) => graphError(c as Context, 400, 'BadRequest', 'Resource not found for the segment.') as never,
  );

  const loginServer = await listen(login);
  const server = await listen(graph);
  let sequence = 0;
  return {
    ...server,
    close: async () => {
      await Promise.all([server.close(), loginServer.close()]);
    },
    login: loginServer,
    tenantId,
    clientId,
    clientSecret,
    tokens,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(created, fields = {}) {
      const createdMs = typeof created === 'number' ? created : created.getTime();
      sequence++;
      const id = `da${String(637551227677560813n + BigInt(sequence))}_${-961444813 - sequence}`;
      const alert: GraphAlert = {
        '@odata.type': '#microsoft.graph.security.alert',
        id,
        providerAlertId: id.slice(2),
        incidentId: String(28282 + sequence),
        status: 'new',
        severity: SEVERITIES[sequence % SEVERITIES.length]!,
        classification: null,
        determination: null,
        serviceSource: 'microsoftDefenderForEndpoint',
        detectionSource: 'antivirus',
        title: 'Suspicious execution of hidden file',
        description: 'A hidden file has been launched. This activity could indicate a compromised host.',
        category: 'DefenseEvasion',
        alertWebUrl: `https://security.microsoft.com/alerts/${id}?tid=${tenantId}`,
        createdDateTime: graphTime(createdMs),
        lastUpdateDateTime: graphTime(createdMs),
        firstActivityDateTime: graphTime(createdMs - 60_000),
        mitreTechniques: ['T1564.001'],
        tenantId,
        ...fields,
      };
      stored.push(alert);
      return alert;
    },
  };
};
