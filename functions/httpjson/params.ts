// Over 300 lines: the declarative connector's whole configuration surface (auth with OAuth2, paging,
// chained details, bodies, time formats, mapping) is one zod schema whose refinements cross-reference
// its parts; each error must name the exact field, which splitting would scatter.
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { httpUrlSchema } from '../../shared/config/http-url.js';
import { parseDuration } from '../../shared/duration.js';
import { Severity } from '../../shared/incident.js';
import { CLIENT_AUTH_METHODS } from '../../shared/oauth2/token-request.js';
import { timeFormatProblem, timeZoneProblem } from '../../shared/time-format/time-format.js';
import { isPath } from './json-path.js';
import { BODY_TYPES, bodyTypeOf, bodyTypeProblem, formBodyProblem } from './request-body.js';
import {
  DETAIL_PLACEHOLDERS,
  itemFieldProblem,
  placeholdersIn,
  requestTemplateProblem,
  stringsIn,
} from './template.js';

/**
 * The parameters of the generic HTTP JSON connector: everything it knows about a source. Defaults live
 * here; `docs/writing-a-connector.md` and `examples/httpjson/*.json` show whole configurations.
 * Longer than most files on purpose: it is the connector's whole configuration surface in one schema,
 * and the checks that span fields (details vs url, body vs Content-Type) need all of it in view.
 */

// RFC 9110 §5.6.2 token: what a header name may be.
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const headerName = z
  .string({ message: 'must be an HTTP header name such as "X-RateLimit-Remaining"' })
  .regex(HEADER_NAME, 'must be an HTTP header name such as "X-RateLimit-Remaining"');

const path = (example: string) =>
  z
    .string({ message: `must be a dot path into the response, such as "${example}"` })
    .refine(isPath, { message: `must be a dot path into the response, such as "${example}"` });

/** A field of an item: a dot path (`title`) or a template (`"{{title}} ({{urgency}})"`). */
const itemField = (example: string) =>
  z
    .string({ message: `must be a dot path or a template, such as "${example}"` })
    .min(1, `must be a dot path or a template, such as "${example}"`)
    .superRefine((spec, ctx) => {
      const problem = itemFieldProblem(spec);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });

const requestString = z.string().superRefine((text, ctx) => {
  const problem = requestTemplateProblem(text);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const detailString = z.string().superRefine((text, ctx) => {
  const problem = requestTemplateProblem(text, DETAIL_PLACEHOLDERS);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

const httpUrl = (example: string) =>
  z.url({
    protocol: /^https?$/,
    message: `must be an absolute http(s) URL, such as "${example}"`,
  });

/** A time format for what is sent (`reading: false`) or read: a named format or a pattern. */
const timeFormatSpec = (reading: boolean) =>
  z.string().superRefine((spec, ctx) => {
    const problem = timeFormatProblem(spec, { reading });
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });

const bodyType = z.enum(BODY_TYPES, {
  message: 'must be "json" or "form" (application/x-www-form-urlencoded)',
});

const auth = z.discriminatedUnion(
  'type',
  [
    /** `Authorization: Bearer <secret token>`. */
    z.object({ type: z.literal('bearer') }).strict(),
    /** `Authorization: Basic base64(<secret username>:<secret password>)`. */
    z.object({ type: z.literal('basic') }).strict(),
    /** `<header>: <prefix><secret token>`: `Authorization: SSWS …`, `Authorization: Token token=…`, `X-Api-Key: …`. */
    z
      .object({
        type: z.literal('header'),
        header: headerName,
        /** Written before the token, e.g. "SSWS " or "Token token=". @default "" */
        prefix: z.string().default(''),
      })
      .strict(),
    /**
     * OAuth2 client credentials (RFC 6749 §4.4): a token from `token_url` for the secrets `client_id` and
     * `client_secret`, cached in the instance's integration context until shortly before it expires,
     * sent as `Authorization: Bearer <token>`. The token URL may be another origin than the API's.
     */
    z
      .object({
        type: z.literal('oauth2'),
        token_url: httpUrl('https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token'),
        /** Space-separated scopes, e.g. "https://graph.microsoft.com/.default". */
        scope: z.string().min(1).optional(),
        /** The API the token is for, where the provider asks for it. */
        audience: z.string().min(1).optional(),
        /** How the client authenticates at the token URL. @default "client_secret_basic" */
        client_auth: z
          .enum(CLIENT_AUTH_METHODS, { message: 'must be "client_secret_basic" or "client_secret_post"' })
          .default('client_secret_basic'),
        /** Further form fields of the token request (CrowdStrike's "member_cid"). */
        token_params: z.record(z.string().min(1), z.string()).default({}),
      })
      .strict(),
    /** A source that needs no credentials (rare; a public feed). */
    z.object({ type: z.literal('none') }).strict(),
  ],
  { message: 'must be "bearer", "basic", "header" (with "header": "<name>"), "oauth2" or "none"' },
);

const pagination = z.discriminatedUnion(
  'type',
  [
    /**
     * No pagination parameters. An oldest-first source filtered by time is paged by time: the next
     * request starts at the last item's time. Any other source must answer a window in one response.
     */
    z.object({ type: z.literal('none') }).strict(),
    /** A page number in the query: `page=1`, `page=2`, ... until a page is short. */
    z
      .object({
        type: z.literal('page'),
        param: z
          .string({ message: 'is required: the page-number query parameter, such as "page"' })
          .min(1, 'is required: the page-number query parameter, such as "page"'),
        /** The first page's number. @default 1 */
        first: z.number().int().min(0).default(1),
      })
      .strict(),
    /** An item offset in the query: `offset=0`, `offset=100`, ... until `more_path` is false or a page is short. */
    z
      .object({
        type: z.literal('offset'),
        param: z
          .string({ message: 'is required: the offset query parameter, such as "offset"' })
          .min(1, 'is required: the offset query parameter, such as "offset"'),
        /** A boolean in the response that says whether more pages follow (PagerDuty's `more`). */
        more_path: path('more').optional(),
      })
      .strict(),
    /** A token in the response (`cursor_path`) sent back as `param`, or wherever `{{cursor}}` is written. */
    z
      .object({
        type: z.literal('cursor'),
        cursor_path: path('meta.next_cursor'),
        param: z.string().min(1).optional(),
      })
      .strict(),
    /** RFC 8288 `Link: <url>; rel="next"` (Okta, GitHub). */
    z.object({ type: z.literal('link') }).strict(),
    /** The next page's URL in the body (`links.next`, `["@odata.nextLink"]`). */
    z.object({ type: z.literal('next_url'), path: path('links.next') }).strict(),
  ],
  {
    message:
      'must be "none", "page", "offset", "cursor", "link" or "next_url" (see docs/writing-a-connector.md)',
  },
);

const durationText = z.string().refine((text) => parseDuration(text) !== undefined, {
  message: 'must be a duration such as "30 seconds" or "2 minutes"',
});

const rateLimit = z
  .object({
    /** The header counting the requests left, e.g. "X-RateLimit-Remaining". */
    remaining_header: headerName.optional(),
    /** The header saying when the limit resets, e.g. "X-RateLimit-Reset". */
    reset_header: headerName.optional(),
    /** `auto` reads large numbers as epoch seconds, small ones as seconds from now. @default "auto" */
    reset_format: z
      .enum(['auto', 'epoch_seconds', 'seconds'], { message: 'must be "auto", "epoch_seconds" or "seconds"' })
      .default('auto'),
    /** The longest wait for a reset inside one fetch; longer, the fetch stops and the next one resumes. @default "30 seconds" */
    max_wait: durationText.default('30 seconds'),
  })
  .strict();

/** Requests at most (per window, or per details batch); more fails the fetch naming the field. */
const maxPages = z
  .number()
  .int('must be a whole number')
  .min(1, 'must be at least 1')
  .max(1000, 'must be at most 1000')
  .default(20);

/**
 * Chained requests: the main request lists ids (or summaries), and the details of each batch of them
 * come from a second request: `POST` with `{"ids": "{{ids}}"}` in the body, `GET` with `ids={{ids}}` in
 * the query (repeated, or joined by `ids_separator`), or `GET` per id with `{{id}}` in the URL.
 */
const details = z
  .object({
    /** The details endpoint; `{{id}}` in it means one request per id. Same origin as `url`. */
    url: z
      .string({ message: "must be the details endpoint's absolute http(s) URL" })
      .refine((text) => URL.canParse(text.replace(/\{\{\s*id\s*\}\}/g, 'x')) && /^https?:/i.test(text), {
        message:
          'must be the details endpoint\'s absolute http(s) URL, e.g. "https://api.crowdstrike.com/alerts/entities/alerts/v2"',
      })
      .superRefine((text, ctx) => {
        const problem = requestTemplateProblem(text, ['id']);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      }),
    method: z.enum(['GET', 'POST'], { message: 'must be "GET" or "POST"' }).default('GET'),
    /** Added to the main request's headers for the details requests. */
    headers: z.record(z.string(), z.string({ message: 'values must be strings' })).default({}),
    query_params: z.record(z.string().min(1), z.union([detailString, z.number(), z.boolean()])).default({}),
    body: z.record(z.string(), z.unknown()).optional(),
    body_type: bodyType.optional(),
    /** Where an item of the main response holds its id; "" when the item is the id. @default "" */
    id_path: z.union([z.literal(''), path('id')]).default(''),
    /** Where the details are in the response; "" when the response is the array (or the one object). @default "" */
    items_path: z.union([z.literal(''), path('resources')]).default(''),
    /** The detail's field that equals the listed id, to keep the listed order. @default fields.id */
    match_field: itemField('composite_id').optional(),
    /** Ids per details request (the source's maximum). @default 100, or 1 with {{id}} in the URL */
    batch_size: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(5000, 'must be at most 5000')
      .optional(),
    /** A query parameter that is exactly {{ids}} repeats per id unless this joins them (","). */
    ids_separator: z.string().min(1).optional(),
    /** The details endpoint's own rate-limit headers; the main request's when not set. */
    rate_limit: rateLimit.optional(),
    /**
     * The details answer's own pagination (a batch answered in pages), followed to its end for every
     * batch: the same kinds as `pagination`, filled per batch ({{cursor}} is the details' cursor). A next
     * URL must stay on the origin of `url`. @default none
     */
    pagination: pagination.default({ type: 'none' }),
    /** The most items one details page holds: a shorter page is the last ("page", "offset" without more_path). */
    page_size: z.number().int('must be a whole number').min(1, 'must be at least 1').optional(),
    /** Details pages per batch at most; a batch that needs more fails the fetch, naming this field. @default 20 */
    max_pages: maxPages,
  })
  .strict();

const severityNames = Object.keys(Severity) as (keyof typeof Severity)[];
const severityTarget = z.union([z.enum(severityNames as [string, ...string[]]), z.number().min(0).max(4)], {
  message: `must be one of ${severityNames.map((name) => `"${name}"`).join(', ')} or a number from 0 to 4`,
});

const paramsObject = z
  .object({
    /** The endpoint, e.g. "https://api.pagerduty.com/incidents". */
    url: httpUrlSchema(
      'must be the endpoint\'s absolute http(s) URL, such as "https://api.pagerduty.com/incidents"',
    ),
    method: z.enum(['GET', 'POST'], { message: 'must be "GET" or "POST"' }).default('GET'),
    auth,
    /** Sent with every request (Accept, API version, User-Agent). */
    headers: z.record(z.string(), z.string({ message: 'values must be strings' })).default({}),
    /**
     * The request's query string; values may use {{start}}, {{end}}, {{limit}}, {{cursor}} and {{query}}
     * (the instance's common `query` parameter). Not `query`: that name is XSOAR's common parameter.
     */
    query_params: z.record(z.string().min(1), z.union([requestString, z.number(), z.boolean()])).default({}),
    /** A request body (POST); its strings may use the same placeholders. */
    body: z.record(z.string(), z.unknown()).optional(),
    /** "json" or "form" (x-www-form-urlencoded). @default the Content-Type header's, else "json" */
    body_type: bodyType.optional(),
    /**
     * How {{start}} and {{end}} are written: "iso", "iso_seconds", "epoch_ms", "epoch_s", "rfc1123" or a
     * pattern such as "yyyy-MM-dd HH:mm" (in `time_zone`). @default "iso"
     */
    time_format: timeFormatSpec(false).default('iso'),
    /** The IANA zone of patterns, sent and read (Jira: the API user's zone). @default "UTC" */
    time_zone: z
      .string()
      .superRefine((zone, ctx) => {
        const problem = timeZoneProblem(zone);
        if (problem) ctx.addIssue({ code: 'custom', message: problem });
      })
      .default('UTC'),
    /** Where the array of items is in the response; "" when the response is the array. @default "" */
    items_path: z.union([z.literal(''), path('incidents')]).default(''),
    fields: z
      .object({
        /** The item's id: the incident's dbotMirrorId, Ferry's dedupe key. */
        id: itemField('id'),
        /** When it happened, read by `occurred_format`. */
        occurred: path('created_at'),
        /** How `occurred` is written: "auto" (ISO-8601 or epoch s/ms), a named format or a pattern. @default "auto" */
        occurred_format: timeFormatSpec(true).default('auto'),
        /** The incident's name: a path or a template. */
        name: itemField('{{title}}'),
        /** The value looked up in `severity_map`. */
        severity: itemField('urgency').optional(),
        details: itemField('description').optional(),
      })
      .strict(),
    /** Incident labels: label name → path or template. */
    labels: z.record(z.string().min(1), itemField('service.summary')).default({}),
    /** Source severity → XSOAR's ("low", "high", ... or 0–4). Unmapped values that already are XSOAR names are kept. */
    severity_map: z.record(z.string(), severityTarget).default({}),
    /** The incidents' XSOAR type. */
    incident_type: z.string().min(1).optional(),
    /** The order the source returns items in. Prefer "asc": "desc" reads the whole window every fetch. @default "asc" */
    order: z
      .enum(['asc', 'desc'], { message: 'must be "asc" (oldest first) or "desc" (newest first)' })
      .default('asc'),
    /** "server": the request filters by {{start}}/{{end}}; "client": the source cannot, the connector filters. @default "server" */
    time_filter: z.enum(['server', 'client'], { message: 'must be "server" or "client"' }).default('server'),
    /** Items per request: {{limit}}, at most the source's maximum page size. @default 100 */
    page_size: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(100),
    /** Requests per window at most; a window that needs more fails the fetch with a clear message. @default 20 */
    max_pages: maxPages,
    pagination: pagination.default({ type: 'none' }),
    rate_limit: rateLimit.optional(),
    details: details.optional(),
  })
  .strict();

/** The largest page the runner asks of the connector (its `maxPageSize`). */
export const MAX_WINDOW_PAGE = 1000;

const templatesOf = (params: z.infer<typeof paramsObject>): string[] => [
  ...Object.values(params.query_params).filter((value): value is string => typeof value === 'string'),
  ...stringsIn(params.body),
];

const uses = (params: z.infer<typeof paramsObject>, name: string) =>
  templatesOf(params).some((text) => placeholdersIn(text).includes(name));

/** The httpjson parameters, with the checks that span several fields. */
export const httpJsonParams = paramsObject.superRefine((params, ctx) => {
  const issue = (path: (string | number)[], message: string) =>
    ctx.addIssue({ code: 'custom', path, message });
  if (params.time_filter === 'server' && !uses(params, 'start')) {
    issue(
      ['query_params'],
      'must send the window\'s start, e.g. {"since": "{{start}}"}, or set "time_filter": "client" when the source cannot filter by time',
    );
  }
  if (
    params.pagination.type === 'cursor' &&
    params.pagination.param === undefined &&
    !uses(params, 'cursor')
  ) {
    issue(['pagination', 'param'], 'is required unless query_params or body uses {{cursor}}');
  }
  if (params.pagination.type === 'page' || params.pagination.type === 'offset') {
    if (params.pagination.param in params.query_params) {
      issue(
        ['query_params', params.pagination.param],
        'is set by the pagination; remove it from query_params',
      );
    }
  }
  if (params.method === 'GET' && params.body !== undefined)
    issue(['body'], 'is sent only with "method": "POST"');
  checkBody(params, [], issue);
  if (params.details) checkDetails(params, params.details, issue);
  if (
    params.order === 'asc' &&
    params.time_filter === 'server' &&
    params.page_size * params.max_pages < MAX_WINDOW_PAGE
  ) {
    issue(
      ['max_pages'],
      `must be at least ${Math.ceil(MAX_WINDOW_PAGE / params.page_size)} with page_size ${params.page_size}: the runner may ask for ${MAX_WINDOW_PAGE} items at once`,
    );
  }
  for (const name of Object.keys(params.headers)) {
    const lower = name.toLowerCase();
    // Reported at the top level: an issue under "headers" would echo its value, maybe a credential.
    if (!HEADER_NAME.test(name))
      issue([], `headers: "${name}" is not an HTTP header name such as "X-Api-Version"`);
    if (
      lower === 'authorization' ||
      (params.auth.type === 'header' && lower === params.auth.header.toLowerCase())
    ) {
      issue(
        [],
        `headers.${name} is refused: credentials come from "auth" and the instance's secrets, never from params`,
      );
    }
  }
});

type Issue = (path: (string | number)[], message: string) => void;
type ParamsObject = z.infer<typeof paramsObject>;

/** A body's type agrees with its Content-Type, and a form body is flat. */
const checkBody = (
  request: Pick<ParamsObject, 'body' | 'body_type' | 'headers'>,
  at: string[],
  issue: Issue,
) => {
  // Reported at the top level like other header problems: an issue under "headers" would echo values.
  const headerProblem = bodyTypeProblem(request.body_type, request.headers);
  if (headerProblem) issue([], `${[...at, 'headers'].join('.')}: ${headerProblem}`);
  if (request.body && bodyTypeOf(request.body_type, request.headers) === 'form') {
    const problem = formBodyProblem(request.body);
    if (problem) issue([...at, 'body'], problem);
  }
};

const checkDetails = (params: ParamsObject, chain: NonNullable<ParamsObject['details']>, issue: Issue) => {
  const templates = [
    chain.url,
    ...Object.values(chain.query_params).filter((value): value is string => typeof value === 'string'),
    ...stringsIn(chain.body),
  ];
  const used = new Set(templates.flatMap(placeholdersIn));
  if (!used.has('id') && !used.has('ids')) {
    issue(
      ['details'],
      'must send the ids it asks details for: {{ids}} in query_params or body (a batch), or {{id}} in url (one request per id)',
    );
  }
  if (used.has('id') && chain.batch_size !== undefined && chain.batch_size > 1) {
    issue(['details', 'batch_size'], 'must be 1 (or left out) when the details request uses {{id}}');
  }
  if (chain.method === 'GET' && chain.body !== undefined)
    issue(['details', 'body'], 'is sent only with "method": "POST"');
  checkDetailsPagination(chain, used, issue);
  // Compared only when both parse: a malformed URL already has its own issue.
  const detailsUrl = chain.url.replace(/\{\{\s*id\s*\}\}/g, 'x');
  if (URL.canParse(detailsUrl) && URL.canParse(params.url)) {
    const expected = new URL(params.url).origin;
    if (new URL(detailsUrl).origin !== expected) {
      issue(
        ['details', 'url'],
        `must be on ${expected}, the origin of url: the instance's credentials are sent to it`,
      );
    }
  }
  for (const name of Object.keys(chain.headers)) {
    if (
      name.toLowerCase() === 'authorization' ||
      (params.auth.type === 'header' && name.toLowerCase() === params.auth.header.toLowerCase())
    ) {
      issue(
        [],
        `details.headers.${name} is refused: credentials come from "auth" and the instance's secrets, never from params`,
      );
    }
  }
  checkBody({ ...chain, headers: { ...params.headers, ...chain.headers } }, ['details'], issue);
};

/** The details' pagination fits their request: its parameter is not set twice, a cursor is sent somewhere. */
const checkDetailsPagination = (
  chain: NonNullable<ParamsObject['details']>,
  used: ReadonlySet<string>,
  issue: Issue,
) => {
  const { pagination: paging } = chain;
  if (paging.type === 'cursor' && paging.param === undefined && !used.has('cursor')) {
    issue(
      ['details', 'pagination', 'param'],
      'is required unless details.query_params or details.body uses {{cursor}}',
    );
  }
  if (paging.type !== 'cursor' && used.has('cursor')) {
    issue(
      ['details'],
      'uses {{cursor}}, which only a "cursor" details.pagination fills: set details.pagination or remove {{cursor}}',
    );
  }
  if ((paging.type === 'page' || paging.type === 'offset') && paging.param in chain.query_params) {
    issue(
      ['details', 'query_params', paging.param],
      'is set by details.pagination; remove it from details.query_params',
    );
  }
  if (paging.type === 'none' && chain.page_size !== undefined) {
    issue(['details', 'page_size'], 'is read only with a details.pagination: set one, or remove page_size');
  }
};

export type HttpJsonParams = z.infer<typeof httpJsonParams>;
export type HttpJsonDetails = NonNullable<HttpJsonParams['details']>;
export type HttpJsonPagination = HttpJsonParams['pagination'];
