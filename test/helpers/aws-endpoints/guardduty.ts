import { localAccountId, localRegion } from './protocol.js';
import {
  pageToken,
  parseJsonObject,
  RequestThrottle,
  type RestJsonService,
  restJsonError,
  restJsonResponse,
} from './rest-json.js';

/**
 * Amazon GuardDuty's `ListFindings` and `GetFindings`, as the API reference describes them (restJson1),
 * for the real `@aws-sdk/client-guardduty` to run against:
 * - `POST /detector/{detectorId}/findings` with `{findingCriteria: {criterion}, sortCriteria, maxResults,
 *   nextToken}` → `{findingIds, nextToken}`; maxResults 1–50, default 50 (API_ListFindings).
 * - `POST /detector/{detectorId}/findings/get` with `{findingIds, sortCriteria}` → `{findings}`; at most 50
 *   ids (API_GetFindings, "findingIds ... Maximum number of 50 items"); unknown ids are left out.
 * - Condition (API_Condition): `equals`/`notEquals` (strings), `greaterThan`, `greaterThanOrEqual`,
 *   `lessThan`, `lessThanOrEqual` (Long: a timestamp such as `updatedAt` in epoch milliseconds); the
 *   deprecated `eq`/`neq`/`gt`/`gte`/`lt`/`lte` take an Integer, so an epoch-ms value there is out of
 *   range. Filterable attributes are listed in API_ListFindings (`updatedAt`, `severity`, `type`, `id`,
 *   `accountId`, `region`, `service.archived`, ...).
 * - sortCriteria `{attributeName, orderBy: "ASC" | "DESC"}` (API_SortCriteria).
 * - Errors: BadRequestException 400, AccessDeniedException 403, InternalServerErrorException 500, body
 *   `{"message", "__type"}` (the SDK model's `message`/`__type` json names). A detector id the account does
 *   not own: BadRequestException "The request is rejected because the input detectorId is not owned by
 *   the current account." Throttled: ThrottlingException 400 ("Common Errors").
 */

/** A GuardDuty finding as the wire carries it (camelCase). */
export interface GuardDutyWireFinding {
  accountId: string;
  arn: string;
  createdAt: string;
  updatedAt: string;
  description: string;
  id: string;
  partition: string;
  region: string;
  resource: Record<string, unknown>;
  schemaVersion: string;
  service: Record<string, unknown> & { archived?: boolean; detectorId?: string; count?: number };
  severity: number;
  title: string;
  type: string;
  [field: string]: unknown;
}

export interface LocalGuardDutyOptions {
  /** The detector ids the account owns. @default ['12abc34d567e8fa901bc2d34e56789f0'] */
  readonly detectorIds?: readonly string[];
}

/** The local GuardDuty, as tests and the local system see it. */
export interface LocalGuardDuty {
  readonly detectorIds: readonly string[];
  /** Stores a finding of the first (or the given) detector, generated fields filled in. */
  add(
    fields: Partial<GuardDutyWireFinding> & { updatedAt: string },
    detectorId?: string,
  ): GuardDutyWireFinding;
  /** The next `count` requests are answered ThrottlingException. */
  throttleNext(count?: number): void;
  /** While set, every request is refused 403 AccessDeniedException. */
  denyAccess(denied: boolean): void;
  /** Every request, oldest first. */
  readonly calls: {
    readonly operation: 'ListFindings' | 'GetFindings';
    readonly input: Record<string, unknown>;
    readonly status: number;
    /** The exception's name when it was refused. */
    readonly errorType?: string;
    readonly at: number;
  }[];
  readonly service: RestJsonService;
}

const INT32_MAX = 2 ** 31 - 1;
const BAD_VALUE =
  'The request is rejected because an invalid or out-of-range value is specified as an input parameter.';
const DEPRECATED_INT = ['gt', 'gte', 'lt', 'lte'] as const;
const NUMERIC = [
  'greaterThan',
  'greaterThanOrEqual',
  'lessThan',
  'lessThanOrEqual',
  ...DEPRECATED_INT,
] as const;
const LISTS = ['equals', 'notEquals', 'eq', 'neq', 'matches', 'notMatches'] as const;

class BadRequest extends Error {}

type Finding = GuardDutyWireFinding;

const attributes: Record<string, (f: Finding) => string | number | boolean | undefined> = {
  updatedAt: (f) => Date.parse(f.updatedAt),
  createdAt: (f) => Date.parse(f.createdAt),
  severity: (f) => f.severity,
  type: (f) => f.type,
  id: (f) => f.id,
  accountId: (f) => f.accountId,
  region: (f) => f.region,
  'service.archived': (f) => f.service.archived === true,
  'resource.resourceType': (f) => String(f.resource.resourceType),
};

const conditionPredicate = (attribute: string, condition: Record<string, unknown>) => {
  const read = attributes[attribute];
  if (!read) throw new BadRequest(`The local GuardDuty does not implement the ${attribute} criterion.`);
  const tests: ((value: string | number | boolean | undefined) => boolean)[] = [];
  for (const [operator, operand] of Object.entries(condition)) {
    if ((NUMERIC as readonly string[]).includes(operator)) {
      if (typeof operand !== 'number' || !Number.isInteger(operand)) throw new BadRequest(BAD_VALUE);
      if ((DEPRECATED_INT as readonly string[]).includes(operator) && Math.abs(operand) > INT32_MAX) {
        throw new BadRequest(BAD_VALUE);
      }
      const compare = {
        greaterThan: (v: number) => v > operand,
        gt: (v: number) => v > operand,
        greaterThanOrEqual: (v: number) => v >= operand,
        gte: (v: number) => v >= operand,
        lessThan: (v: number) => v < operand,
        lt: (v: number) => v < operand,
        lessThanOrEqual: (v: number) => v <= operand,
        lte: (v: number) => v <= operand,
      }[operator as (typeof NUMERIC)[number]];
      tests.push((value) => typeof value === 'number' && compare(value));
    } else if ((LISTS as readonly string[]).includes(operator)) {
      if (!Array.isArray(operand) || operand.some((item) => typeof item !== 'string'))
        throw new BadRequest(BAD_VALUE);
      const wanted = operand as string[];
      const positive = operator === 'equals' || operator === 'eq' || operator === 'matches';
      tests.push((value) => wanted.includes(String(value)) === positive);
    } else {
      throw new BadRequest(BAD_VALUE);
    }
  }
  if (tests.length === 0) throw new BadRequest(BAD_VALUE);
  return (finding: Finding) => tests.every((test) => test(read(finding)));
};

const compileCriteria = (criteria: unknown) => {
  if (criteria === undefined) return () => true;
  const criterion = (criteria as { criterion?: unknown }).criterion;
  if (typeof criterion !== 'object' || criterion === null) throw new BadRequest(BAD_VALUE);
  const predicates = Object.entries(criterion as Record<string, Record<string, unknown>>).map(
    ([attribute, condition]) => conditionPredicate(attribute, condition),
  );
  return (finding: Finding) => predicates.every((predicate) => predicate(finding));
};

const compileSort = (sort: unknown) => {
  if (sort === undefined) return (a: Finding, b: Finding) => (a.id < b.id ? -1 : 1);
  const { attributeName, orderBy } = sort as { attributeName?: unknown; orderBy?: unknown };
  if (
    typeof attributeName !== 'string' ||
    (orderBy !== undefined && orderBy !== 'ASC' && orderBy !== 'DESC')
  ) {
    throw new BadRequest(BAD_VALUE);
  }
  const read = attributes[attributeName] ?? ((f: Finding) => String(f[attributeName] ?? ''));
  const sign = orderBy === 'DESC' ? -1 : 1;
  return (a: Finding, b: Finding) => {
    const x = read(a) as string | number;
    const y = read(b) as string | number;
    // Ties by id, so that pages neither repeat nor skip.
    return (x < y ? -1 : x > y ? 1 : 0) * sign || (a.id < b.id ? -1 : 1);
  };
};

const error = (status: number, type: string, message: string) =>
  restJsonError(status, type, { message, __type: type });

const ROUTE = /^\/detector\/([^/]+)\/findings(\/get)?$/;

/** Creates an in-memory GuardDuty answering ListFindings and GetFindings. */
export function createLocalGuardDuty(options: LocalGuardDutyOptions = {}): LocalGuardDuty {
  const detectorIds = options.detectorIds ?? ['12abc34d567e8fa901bc2d34e56789f0'];
  const findings = new Map<string, Finding[]>(detectorIds.map((id) => [id, []]));
  const calls: LocalGuardDuty['calls'] = [];
  const throttle = new RequestThrottle();
  let denied = false;
  let sequence = 0;

  const listFindings = (stored: Finding[], input: Record<string, unknown>) => {
    const maxResults = input.maxResults ?? 50;
    if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 50) {
      throw new BadRequest(BAD_VALUE);
    }
    const query = { c: input.findingCriteria, s: input.sortCriteria, m: maxResults };
    let offset = 0;
    if (input.nextToken !== undefined && input.nextToken !== '') {
      const decoded =
        typeof input.nextToken === 'string' ? pageToken.decode(input.nextToken, query) : undefined;
      if (decoded === undefined) throw new BadRequest(BAD_VALUE);
      offset = decoded;
    }
    const matching = stored
      .filter(compileCriteria(input.findingCriteria))
      .sort(compileSort(input.sortCriteria));
    const page = matching.slice(offset, offset + (maxResults as number));
    const next = offset + page.length;
    // GuardDuty answers an empty string when there is no next page.
    return {
      findingIds: page.map((f) => f.id),
      nextToken: next < matching.length ? pageToken.encode(query, next) : '',
    };
  };

  const getFindings = (stored: Finding[], input: Record<string, unknown>) => {
    const ids = input.findingIds;
    if (!Array.isArray(ids) || ids.length > 50 || ids.some((id) => typeof id !== 'string'))
      throw new BadRequest(BAD_VALUE);
    const found = stored.filter((finding) => ids.includes(finding.id));
    // Without sortCriteria the service promises no order; the reverse of the request's makes that visible.
    const ordered =
      input.sortCriteria === undefined ? found.reverse() : found.sort(compileSort(input.sortCriteria));
    return { findings: ordered };
  };

  const service: RestJsonService = (request) => {
    const route = ROUTE.exec(request.path);
    if (!route || request.method !== 'POST') return undefined;
    const operation = route[2] ? 'GetFindings' : 'ListFindings';
    const input = parseJsonObject(request.body);
    const respond = () => {
      if (denied) {
        return error(
          403,
          'AccessDeniedException',
          `User: arn:aws:sts::${localAccountId}:assumed-role/ferry-connector/ferry is not authorized to perform: guardduty:${operation} on resource: arn:aws:guardduty:${localRegion}:${localAccountId}:detector/${route[1]}`,
        );
      }
      if (!throttle.take()) return error(400, 'ThrottlingException', 'Rate exceeded');
      if (!input) return error(400, 'SerializationException', 'The request body is not a JSON object.');
      const stored = findings.get(decodeURIComponent(route[1]!));
      if (!stored) {
        return error(
          400,
          'BadRequestException',
          'The request is rejected because the input detectorId is not owned by the current account.',
        );
      }
      try {
        return restJsonResponse(
          operation === 'GetFindings' ? getFindings(stored, input) : listFindings(stored, input),
        );
      } catch (caught) {
        if (caught instanceof BadRequest) return error(400, 'BadRequestException', caught.message);
        throw caught;
      }
    };
    const response = respond();
    const errorType = response.headers['x-amzn-errortype'];
    calls.push({
      operation,
      input: input ?? {},
      status: response.status,
      ...(errorType ? { errorType } : {}),
      at: Date.now(),
    });
    return response;
  };

  return {
    detectorIds,
    add(fields, detectorId = detectorIds[0]!) {
      sequence++;
      const id = fields.id ?? `${sequence.toString(16).padStart(8, '0')}e7d5b0c4a1f2e3d4c5b6a7f8e9d0c1`;
      const finding: Finding = {
        accountId: localAccountId,
        arn: `arn:aws:guardduty:${localRegion}:${localAccountId}:detector/${detectorId}/finding/${id}`,
        createdAt: fields.updatedAt,
        description:
          'EC2 instance i-99999999 is querying a domain name associated with a known Bitcoin-related activity.',
        id,
        partition: 'aws',
        region: localRegion,
        resource: { resourceType: 'Instance', instanceDetails: { instanceId: 'i-99999999' } },
        schemaVersion: '2.0',
        service: {
          serviceName: 'guardduty',
          detectorId,
          archived: false,
          count: 1,
          resourceRole: 'TARGET',
          eventFirstSeen: fields.updatedAt,
          eventLastSeen: fields.updatedAt,
        },
        severity: 8,
        title: 'Bitcoin-related domain name queried by EC2 instance i-99999999.',
        type: 'CryptoCurrency:EC2/BitcoinTool.B!DNS',
        ...fields,
      };
      const stored = findings.get(detectorId);
      if (!stored) throw new Error(`The local GuardDuty has no detector ${detectorId}.`);
      stored.push(finding);
      return finding;
    },
    throttleNext: (count = 1) => throttle.throttleNext(count),
    denyAccess(value) {
      denied = value;
    },
    calls,
    service,
  };
}
