// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';
import { httpUrlSchema } from '../../shared/config/http-url.js';
import { parseDuration } from '../../shared/duration.js';
import { Severity } from '../../shared/incident.js';
import { isPath } from './json-path.js';
import { itemFieldProblem, placeholdersIn, requestTemplateProblem, stringsIn } from './template.js';
import { TIME_FORMATS } from './window-time.js';

/**
 * The parameters of the generic HTTP JSON connector: everything it knows about a source. Defaults live
 * here; `docs/writing-a-connector.md` and `examples/httpjson/*.json` show whole configurations.
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
    /** A source that needs no credentials (rare; a public feed). */
    z.object({ type: z.literal('none') }).strict(),
  ],
  { message: 'must be "bearer", "basic", "header" (with "header": "<name>") or "none"' },
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
    /** A JSON body (POST); its strings may use the same placeholders. */
    body: z.record(z.string(), z.unknown()).optional(),
    /** How {{start}} and {{end}} are written. @default "iso" */
    time_format: z
      .enum(TIME_FORMATS, { message: `must be one of ${TIME_FORMATS.map((f) => `"${f}"`).join(', ')}` })
      .default('iso'),
    /** Where the array of items is in the response; "" when the response is the array. @default "" */
    items_path: z.union([z.literal(''), path('incidents')]).default(''),
    fields: z
      .object({
        /** The item's id: the incident's dbotMirrorId, Ferry's dedupe key. */
        id: itemField('id'),
        /** When it happened: ISO-8601, or epoch seconds or milliseconds. */
        occurred: path('created_at'),
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
    max_pages: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(1000, 'must be at most 1000')
      .default(20),
    pagination: pagination.default({ type: 'none' }),
    rate_limit: rateLimit.optional(),
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

export type HttpJsonParams = z.infer<typeof httpJsonParams>;
export type HttpJsonPagination = HttpJsonParams['pagination'];
