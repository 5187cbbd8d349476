import { ErrorCodes, SourceError } from '../../shared/errors.js';
import type { HttpResponse } from '../../shared/http-client.js';
import { readPath } from './json-path.js';
import type { HttpJsonParams } from './params.js';
import { readItemField } from './template.js';
import { parseItemTime } from './window-time.js';

const where = (response: HttpResponse<unknown>) => {
  const url = new URL(response.url);
  return `${url.origin}${url.pathname}`;
};

const describe = (value: unknown): string => {
  if (Array.isArray(value)) return 'an array';
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'object')
    return `an object with keys ${Object.keys(value).slice(0, 8).join(', ') || '(none)'}`;
  return `${typeof value} ${JSON.stringify(value).slice(0, 60)}`;
};

/** The array of items in a response, at `items_path`; a clear error when it is not there. */
export const itemsOf = (params: HttpJsonParams, response: HttpResponse<unknown>): unknown[] => {
  const items = params.items_path === '' ? response.body : readPath(response.body, params.items_path);
  if (!Array.isArray(items)) {
    const at = params.items_path === '' ? 'the response itself' : `items_path "${params.items_path}"`;
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `${where(response)} answered without an array at ${at} (found ${describe(items)}); check items_path.`,
      { status: response.status, url: where(response) },
    );
  }
  return items;
};

/** When an item occurred (epoch ms); a clear error naming the item and the path when it cannot be read. */
export const itemTime = (params: HttpJsonParams, item: unknown, index: number): number => {
  const raw = readPath(item, params.fields.occurred);
  const ms = parseItemTime(raw, params.fields.occurred_format, params.time_zone);
  if (ms === undefined) {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `Item #${index} of the response has no time at fields.occurred "${params.fields.occurred}" (found ${describe(raw)}); ` +
        (params.fields.occurred_format === 'auto'
          ? 'it must be an ISO-8601 date or epoch seconds or milliseconds. Check fields.occurred.'
          : `it must be written as fields.occurred_format "${params.fields.occurred_format}"${params.time_zone === 'UTC' ? '' : ` (in ${params.time_zone})`}. Check fields.occurred and fields.occurred_format.`),
    );
  }
  return ms;
};

/** An item's id (its dbotMirrorId); a clear error when the path finds nothing. */
export const itemId = (params: HttpJsonParams, item: unknown, index: number): string => {
  const id = readItemField(item, params.fields.id);
  if (id === undefined || id === '') {
    throw new SourceError(
      ErrorCodes.SOURCE_BAD_RESPONSE,
      `Item #${index} of the response has no id at fields.id "${params.fields.id}" (the item has ${describe(item)}). Check fields.id.`,
    );
  }
  return id;
};
