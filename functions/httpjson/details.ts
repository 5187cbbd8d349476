import type { ConnectorContext } from '../../shared/connector.js';
import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { HttpRequest, HttpResponse } from '../../shared/http-client.js';
import { type DetailsPage, detailsPageQuery, FIRST_DETAILS_PAGE, nextDetailsPage } from './details-pages.js';
import { readPath } from './json-path.js';
import { withBody } from './page-request.js';
import type { HttpJsonDetails, HttpJsonParams } from './params.js';
import { sendRequest } from './send-request.js';
import {
  placeholdersIn,
  type RequestValues,
  readItemField,
  renderRequestValue,
  stringsIn,
} from './template.js';

/**
 * Chained requests: the main request listed ids (CrowdStrike's `/alerts/queries/alerts/v2`), and the
 * details come from a second endpoint in batches (`/alerts/entities/alerts/v2`, POST
 * `{"composite_ids": [...]}`), or one GET per id. The details keep the listed order, so the window's
 * order checks and time filter apply to them as to any page. A details answer that pages is followed to
 * the end of its batch (`details.pagination`, details-pages.ts).
 */

const ID_IN_TEXT = /\{\{\s*id\s*\}\}/g;

/** True when the details request is one per id (`{{id}}` anywhere in it). */
export const isPerId = (chain: HttpJsonDetails): boolean =>
  [chain.url, ...stringsIn(chain.query_params), ...stringsIn(chain.body)].some((text) =>
    placeholdersIn(text).includes('id'),
  );

/** Ids per details request. */
export const batchSizeOf = (chain: HttpJsonDetails): number =>
  isPerId(chain) ? 1 : (chain.batch_size ?? 100);

const describe = (value: unknown) => JSON.stringify(value)?.slice(0, 80) ?? String(value);

/** The id a listed item stands for: the item itself, or the value at `details.id_path`. */
const listedId = (chain: HttpJsonDetails, item: unknown, index: number): string => {
  const value = chain.id_path === '' ? item : readPath(item, chain.id_path);
  if ((typeof value !== 'string' && typeof value !== 'number') || value === '') {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `Item #${index} of the list has no id at details.id_path "${chain.id_path}" (found ${describe(value)}). Check details.id_path.`,
    );
  }
  return String(value);
};

/** The details request of one batch of ids, at `page` of the details' own pagination. */
const detailsRequest = (
  ctx: ConnectorContext<HttpJsonParams>,
  chain: HttpJsonDetails,
  ids: readonly string[],
  window: RequestValues,
  page: DetailsPage,
): HttpRequest => {
  const values: RequestValues = {
    ...window,
    ids,
    id: ids[0],
    ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
  };
  const body = withBody({ ...ctx.params.headers, ...chain.headers }, chain.body, chain.body_type, values);
  // A next URL from the source carries its own query; a POST body is sent again with the batch's ids.
  if (page.url !== undefined) return { method: chain.method, url: page.url, ...body };
  const url = new URL(chain.url.replace(ID_IN_TEXT, encodeURIComponent(ids[0] ?? '')));
  for (const [name, template] of Object.entries(chain.query_params)) {
    const value = typeof template === 'string' ? renderRequestValue(template, values) : template;
    if (value === undefined || value === '') continue;
    // Exactly {{ids}}: one parameter per id (ids=a&ids=b), or joined when the source wants one list.
    if (Array.isArray(value)) {
      if (chain.ids_separator !== undefined) url.searchParams.append(name, value.join(chain.ids_separator));
      else for (const id of value) url.searchParams.append(name, id);
    } else url.searchParams.append(name, String(value));
  }
  for (const [name, value] of Object.entries(detailsPageQuery(chain, page)))
    url.searchParams.set(name, value);
  return { method: chain.method, url: url.toString(), ...body };
};

const detailItems = (chain: HttpJsonDetails, response: HttpResponse<unknown>): unknown[] => {
  const found = chain.items_path === '' ? response.body : readPath(response.body, chain.items_path);
  if (Array.isArray(found)) return found;
  // GET per id answers the object itself.
  if (chain.items_path === '' && found !== null && typeof found === 'object') return [found];
  throw new SourceError(
    ErrorCodes.SOURCE_BAD_RESPONSE,
    `The details endpoint answered without an array at ${chain.items_path === '' ? 'the response itself' : `details.items_path "${chain.items_path}"`} (found ${describe(found)}). Check details.items_path.`,
    { status: response.status },
  );
};

/** Every details item of one batch: its first page, then the details' own pagination to its end. */
const batchDetails = async (
  ctx: ConnectorContext<HttpJsonParams>,
  ids: readonly string[],
  window: RequestValues,
): Promise<unknown[]> => {
  const chain = ctx.params.details!;
  const limit = { scope: 'details' as const, config: chain.rate_limit ?? ctx.params.rate_limit };
  const items: unknown[] = [];
  let page: DetailsPage | undefined = FIRST_DETAILS_PAGE;
  while (page) {
    const response = await sendRequest(ctx, detailsRequest(ctx, chain, ids, window, page), limit);
    const found = detailItems(chain, response);
    items.push(...found);
    page = nextDetailsPage(ctx, ids, page, response, found.length);
  }
  return items;
};

const isNotFound = (error: unknown) => error instanceof SourceError && error.details.status === 404;

/**
 * The details of `listed`, in the listed order. An id whose details are gone (deleted between the two
 * requests: missing from a batch, or a 404 for one id) is skipped with a warning; a batch that matches
 * none of its ids is a configuration error (match_field), not silently nothing.
 */
export const fetchDetails = async (
  ctx: ConnectorContext<HttpJsonParams>,
  listed: readonly unknown[],
  window: RequestValues,
): Promise<unknown[]> => {
  const chain = ctx.params.details!;
  const matchField = chain.match_field ?? ctx.params.fields.id;
  const ids = listed.map((item, index) => listedId(chain, item, index));
  const size = batchSizeOf(chain);
  const byId = new Map<string, unknown>();
  for (let at = 0; at < ids.length; at += size) {
    const batch = ids.slice(at, at + size);
    let items: unknown[];
    try {
      items = await batchDetails(ctx, batch, window);
    } catch (error) {
      if (size === 1 && isNotFound(error)) {
        ctx.logger.warn('A listed item has no details any more (404); skipped', { id: batch[0] });
        continue;
      }
      throw error;
    }
    let matched = 0;
    for (const item of items) {
      const id = readItemField(item, matchField);
      if (id !== undefined && batch.includes(id)) {
        byId.set(id, item);
        matched++;
      }
    }
    if (matched === 0 && items.length > 0) {
      throw new SourceError(
        ErrorCodes.SOURCE_BAD_RESPONSE,
        `The details endpoint answered ${items.length} items for ${batch.length} ids, and none has a listed id at ` +
          `"${matchField}" (details.match_field, else fields.id). Check details.match_field and details.id_path.`,
      );
    }
  }
  const ordered = ids.filter((id) => byId.has(id)).map((id) => byId.get(id));
  if (ordered.length < ids.length) {
    ctx.logger.warn('Some listed items have no details any more; skipped', {
      missing: ids.length - ordered.length,
    });
  }
  return ordered;
};
