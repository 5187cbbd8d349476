import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { HttpRequest, HttpResponse } from '../../shared/http-client.js';
import { readPath } from './json-path.js';
import { linkTarget } from './link-header.js';
import type { HttpJsonParams } from './params.js';
import { bodyTypeOf, encodeBody } from './request-body.js';
import { lowerCaseNames } from './send-request.js';
import { type RequestValues, renderRequestBody, renderRequestValue } from './template.js';
import { formatWindowEdge } from './window-time.js';

/**
 * Where the next request goes: the configured endpoint with its templates filled (a page number, an
 * offset, a cursor or a later start), or a URL the source handed over (`Link`, a next URL in the body).
 */
export type PageRequest = TemplatePage | UrlPage;

export interface TemplatePage {
  readonly kind: 'template';
  readonly start: Date;
  readonly end: Date;
  readonly size: number;
  readonly pageIndex: number;
  readonly offset: number;
  readonly cursor?: string;
}

interface UrlPage {
  readonly kind: 'url';
  readonly url: string;
  readonly size: number;
  /** The templated request the chain of URLs started from: a POST body is filled from it. */
  readonly origin: TemplatePage;
}

/** The first request of a window. */
export const firstPage = (start: Date, end: Date, size: number): PageRequest => ({
  kind: 'template',
  start,
  end,
  size,
  pageIndex: 0,
  offset: 0,
});

/** The placeholder values of a page: the window's edges in `time_format`, the size, the cursor. */
export const valuesOf = (ctx: ConnectorContext<HttpJsonParams>, page: TemplatePage): RequestValues => ({
  query: ctx.query ?? '',
  start: formatWindowEdge(page.start, ctx.params.time_format, 'start', ctx.params.time_zone),
  end: formatWindowEdge(page.end, ctx.params.time_format, 'end', ctx.params.time_zone),
  limit: page.size,
  ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
});

/**
 * The body and headers of a request: the rendered body written as its declared type, under the
 * declared Content-Type (or the type's own).
 */
export const withBody = (
  headers: Record<string, string>,
  body: Record<string, unknown> | undefined,
  bodyType: 'json' | 'form' | undefined,
  values: RequestValues,
): Pick<HttpRequest, 'headers' | 'body'> => {
  const lower = lowerCaseNames(headers);
  if (!body) return { headers: lower };
  const rendered = renderRequestBody(body, values) as Record<string, unknown>;
  const encoded = encodeBody(rendered, bodyTypeOf(bodyType, headers), headers);
  return { headers: { ...lower, 'content-type': encoded.contentType }, body: encoded.body };
};

/** The HTTP request for `page` (the instance's auth is added when it is sent). */
export const toHttpRequest = (ctx: ConnectorContext<HttpJsonParams>, page: PageRequest): HttpRequest => {
  const { params } = ctx;
  if (page.kind === 'url') {
    // The source's next URL carries the query; a POST body is sent again with the window it started from.
    return {
      method: params.method,
      url: page.url,
      ...withBody(
        params.headers,
        params.body,
        params.body_type,
        valuesOf(ctx, { ...page.origin, cursor: undefined }),
      ),
    };
  }
  const values = valuesOf(ctx, page);
  const query: Record<string, string> = {};
  for (const [name, template] of Object.entries(params.query_params)) {
    const value = typeof template === 'string' ? renderRequestValue(template, values) : template;
    if (value !== undefined && value !== '') query[name] = String(value);
  }
  const { pagination } = params;
  if (pagination.type === 'page') query[pagination.param] = String(pagination.first + page.pageIndex);
  if (pagination.type === 'offset') query[pagination.param] = String(page.offset);
  if (pagination.type === 'cursor' && pagination.param && page.cursor !== undefined) {
    query[pagination.param] = page.cursor;
  }
  return {
    method: params.method,
    url: params.url,
    query,
    ...withBody(params.headers, params.body, params.body_type, values),
  };
};

/**
 * A next URL on another origin than `url`'s would receive the instance's credentials: refuse it. Used
 * by the main request's pagination and the details' (whose `details.url` is on that origin too).
 */
export const sameOrigin = (ctx: ConnectorContext<HttpJsonParams>, next: string, what: string): string => {
  const expected = new URL(ctx.params.url).origin;
  if (new URL(next).origin !== expected) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `The source's ${what} points to ${new URL(next).origin}, not ${expected}; Ferry does not send the instance's credentials to another origin. Check "url".`,
    );
  }
  return next;
};

export const originOf = (page: PageRequest): TemplatePage => (page.kind === 'template' ? page : page.origin);

export interface PageOutcome {
  readonly response: HttpResponse<unknown>;
  /** The page's items as the source returned them. */
  readonly items: readonly unknown[];
  /** The time of the last item, for paging by time. */
  readonly lastItemMs: number | undefined;
}

/**
 * The request after `page`, or `undefined` when the source has no more. `timePaging` is for a source
 * without pagination parameters that returns oldest first and filters by {{start}}: the next request
 * starts at the last item's time (the caller drops the items it already has).
 */
export const nextPage = (
  ctx: ConnectorContext<HttpJsonParams>,
  page: PageRequest,
  outcome: PageOutcome,
): PageRequest | undefined => {
  const { params } = ctx;
  const { pagination } = params;
  const { response, items } = outcome;
  if (items.length === 0) return undefined;
  const short = items.length < page.size;
  switch (pagination.type) {
    case 'none': {
      if (short) return undefined;
      if (page.kind !== 'template' || params.order !== 'asc' || params.time_filter !== 'server') {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `The source returned a full page (${items.length} items) and "pagination" is "none", so the rest of the window cannot be read. Configure the source's pagination.`,
        );
      }
      const lastMs = outcome.lastItemMs;
      if (lastMs === undefined || lastMs <= page.start.getTime()) {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `More than ${page.size} items share the time ${page.start.toISOString()} and "pagination" is "none": paging by time cannot get past them. Configure the source's pagination or raise page_size.`,
        );
      }
      return { ...page, start: new Date(lastMs), pageIndex: page.pageIndex + 1 };
    }
    case 'page':
      if (short || page.kind !== 'template') return undefined;
      return { ...page, pageIndex: page.pageIndex + 1 };
    case 'offset': {
      if (page.kind !== 'template') return undefined;
      if (pagination.more_path !== undefined) {
        if (readPath(response.body, pagination.more_path) !== true) return undefined;
      } else if (short) return undefined;
      return { ...page, pageIndex: page.pageIndex + 1, offset: page.offset + items.length };
    }
    case 'cursor': {
      if (page.kind !== 'template') return undefined;
      const token = readPath(response.body, pagination.cursor_path);
      if (token === undefined || token === null || token === '' || token === false) return undefined;
      if (String(token) === page.cursor) {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `The source returned the same cursor twice at "${pagination.cursor_path}"; check pagination.cursor_path.`,
        );
      }
      return { ...page, pageIndex: page.pageIndex + 1, cursor: String(token) };
    }
    case 'link': {
      const next = linkTarget(response.headers.get('link'), 'next', response.url);
      return next === undefined
        ? undefined
        : {
            kind: 'url',
            url: sameOrigin(ctx, next, 'Link rel="next"'),
            size: page.size,
            origin: originOf(page),
          };
    }
    case 'next_url': {
      const next = readPath(response.body, pagination.path);
      if (typeof next !== 'string' || next === '') return undefined;
      return {
        kind: 'url',
        url: sameOrigin(ctx, new URL(next, response.url).toString(), `"${pagination.path}"`),
        size: page.size,
        origin: originOf(page),
      };
    }
  }
};
