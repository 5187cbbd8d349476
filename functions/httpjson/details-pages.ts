import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { HttpResponse } from '../../shared/http-client.js';
import { readPath } from './json-path.js';
import { linkTarget } from './link-header.js';
import { sameOrigin } from './page-request.js';
import type { HttpJsonDetails, HttpJsonParams } from './params.js';

/**
 * The pages of one details batch. Some details endpoints answer a batch in pages of their own: Jira's
 * JQL search asked for `key in (...)` with every field returns at most 100 issues a page and a
 * `nextPageToken`, whatever `maxResults` says. `details.pagination` takes the same kinds as the main
 * request's; each batch starts at its first page and is followed to its end, at most
 * `details.max_pages` requests. A next URL (`Link`, a URL in the body) must be on the origin of `url`,
 * as for the main request: the instance's credentials are sent with it.
 */
export interface DetailsPage {
  /** Requests of this batch so far (0 for the first). */
  readonly index: number;
  /** Items of this batch read so far. */
  readonly offset: number;
  /** The details' cursor, sent as `pagination.param` or wherever `{{cursor}}` is written. */
  readonly cursor?: string;
  /** A URL the source handed over (`Link`, `next_url`): the next request goes there as it is. */
  readonly url?: string;
}

export const FIRST_DETAILS_PAGE: DetailsPage = { index: 0, offset: 0 };

/** The query parameters the pagination adds to a templated details request. */
export const detailsPageQuery = (chain: HttpJsonDetails, page: DetailsPage): Record<string, string> => {
  const { pagination } = chain;
  if (pagination.type === 'page') return { [pagination.param]: String(pagination.first + page.index) };
  if (pagination.type === 'offset') return { [pagination.param]: String(page.offset) };
  if (pagination.type === 'cursor' && pagination.param !== undefined && page.cursor !== undefined) {
    return { [pagination.param]: page.cursor };
  }
  return {};
};

const tooManyPages = (chain: HttpJsonDetails, ids: readonly string[]) =>
  new SourceError(
    ErrorCodes.SOURCE_BAD_RESPONSE,
    `Read details.max_pages (${chain.max_pages}) pages of details for ${ids.length} id(s) without reaching their end; ` +
      'nothing of this window was committed. Raise details.max_pages, or lower details.batch_size.',
  );

/**
 * The details page after `page`, or `undefined` when the batch has no more. `count` is how many items
 * the answer held; an empty answer always ends the batch.
 */
export const nextDetailsPage = (
  ctx: ConnectorContext<HttpJsonParams>,
  ids: readonly string[],
  page: DetailsPage,
  response: HttpResponse<unknown>,
  count: number,
): DetailsPage | undefined => {
  const chain = ctx.params.details!;
  const { pagination } = chain;
  if (count === 0 || pagination.type === 'none') return undefined;
  const short = chain.page_size !== undefined && count < chain.page_size;
  let next: DetailsPage | undefined;
  switch (pagination.type) {
    case 'page':
      next = short ? undefined : { index: page.index + 1, offset: page.offset + count };
      break;
    case 'offset': {
      const more =
        pagination.more_path === undefined ? !short : readPath(response.body, pagination.more_path) === true;
      next = more ? { index: page.index + 1, offset: page.offset + count } : undefined;
      break;
    }
    case 'cursor': {
      const token = readPath(response.body, pagination.cursor_path);
      if (token === undefined || token === null || token === '' || token === false) return undefined;
      if (String(token) === page.cursor) {
        throw new SourceError(
          ErrorCodes.SOURCE_BAD_RESPONSE,
          `The details endpoint returned the same cursor twice at "${pagination.cursor_path}"; check details.pagination.cursor_path.`,
        );
      }
      next = { index: page.index + 1, offset: page.offset + count, cursor: String(token) };
      break;
    }
    case 'link': {
      const target = linkTarget(response.headers.get('link'), 'next', response.url);
      next =
        target === undefined
          ? undefined
          : {
              index: page.index + 1,
              offset: page.offset + count,
              url: sameOrigin(ctx, target, 'details Link rel="next"'),
            };
      break;
    }
    case 'next_url': {
      const target = readPath(response.body, pagination.path);
      next =
        typeof target !== 'string' || target === ''
          ? undefined
          : {
              index: page.index + 1,
              offset: page.offset + count,
              url: sameOrigin(ctx, new URL(target, response.url).toString(), `details "${pagination.path}"`),
            };
      break;
    }
  }
  if (next && next.index >= chain.max_pages) throw tooManyPages(chain, ids);
  return next;
};
