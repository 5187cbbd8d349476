import { localAccountId, localRegion } from './protocol.js';
import {
  pageToken,
  parseJsonObject,
  RequestThrottle,
  type RestJsonRequest,
  type RestJsonService,
  restJsonError,
  restJsonResponse,
} from './rest-json.js';

/**
 * AWS Security Hub's `GetFindings`, as the API reference describes it (restJson1), for the real
 * `@aws-sdk/client-securityhub` to run against:
 * - `POST /findings` with `{Filters, SortCriteria, NextToken, MaxResults}` → `{Findings, NextToken}`
 *   (API_GetFindings). MaxResults is 1–100 (API_GetFindings, "Request Body").
 * - Filters: "You can filter by up to 10 finding attributes. For each attribute, you can provide up to 20
 *   filter values." (API_GetFindings). StringFilter comparisons EQUALS, PREFIX, NOT_EQUALS,
 *   PREFIX_NOT_EQUALS, CONTAINS, NOT_CONTAINS, CONTAINS_WORD; positive ones on a field are ORed, negative
 *   ones ANDed, and EQUALS with NOT_EQUALS/PREFIX_NOT_EQUALS on one field is an error (API_StringFilter).
 *   DateFilter `{Start, End}` or `{DateRange: {Value, Unit: "DAYS"}}` (API_DateFilter); timestamps in the
 *   formats of the reference's "Timestamps" section (Welcome.html#timestamps), otherwise an error.
 * - A NextToken continues the request it came from; replayed with other input it is refused with
 *   InvalidInputException (XSOAR's AWS-SecurityHub integration catches exactly that).
 * - Errors (API_GetFindings, "Errors"): InvalidInputException 400, InvalidAccessException 401 (account not
 *   subscribed), LimitExceededException 429, InternalException 500; a denied role gets AccessDeniedException
 *   403 ("Common Errors"). The body is `{"Message", "Code"}` as the SDK model's exception shapes say.
 * - Throttling: GetFindings is limited to 3 requests a second with a burst of 6 (Welcome.html, "rate
 *   limits"); over it the service answers 429 TooManyRequestsException ("Too Many Requests", as seen by
 *   prowler issue #5004). Off unless asked: tests would otherwise depend on the machine's speed.
 */

/** A finding in the AWS Security Finding Format, as the wire carries it. */
export interface AsffFinding {
  SchemaVersion: string;
  Id: string;
  ProductArn: string;
  GeneratorId: string;
  AwsAccountId: string;
  Types: string[];
  CreatedAt: string;
  UpdatedAt: string;
  Severity: { Label?: string; Normalized?: number; Original?: string };
  Title: string;
  Description: string;
  Resources: { Type: string; Id: string; Region?: string; Partition?: string }[];
  [field: string]: unknown;
}

export interface LocalSecurityHubOptions {
  /** Throttle like the service: `{perSecond: 3, burst: 6}` for GetFindings. @default no limit */
  readonly rateLimit?: { readonly perSecond: number; readonly burst: number };
}

/** The local Security Hub, as tests and the local system see it. */
export interface LocalSecurityHub {
  /** Stores a finding (generated fields filled in) and returns it as GetFindings will. */
  add(fields: Partial<AsffFinding> & { CreatedAt: string }): AsffFinding;
  /** The next `count` requests are answered 429 TooManyRequestsException. */
  throttleNext(count?: number): void;
  /** While set, every request is refused 403 AccessDeniedException (a role without the permission). */
  denyAccess(denied: boolean): void;
  /** While false, every request is refused 401 InvalidAccessException (Security Hub not enabled). */
  setEnabled(enabled: boolean): void;
  /** Every GetFindings request, oldest first, with the status it was answered. */
  readonly calls: {
    readonly input: Record<string, unknown>;
    readonly status: number;
    /** The exception's name when it was refused. */
    readonly errorType?: string;
    readonly at: number;
  }[];
  /** The restJson1 router the endpoint server calls. */
  readonly service: RestJsonService;
}

const MAX_ATTRIBUTES = 10;
const MAX_VALUES = 20;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}(:?\d{2})?)$/;

class InvalidInput extends Error {}

const stringFields: Record<string, (f: AsffFinding) => readonly unknown[]> = {
  Id: (f) => [f.Id],
  ProductArn: (f) => [f.ProductArn],
  AwsAccountId: (f) => [f.AwsAccountId],
  GeneratorId: (f) => [f.GeneratorId],
  Region: (f) => [f.Region],
  Type: (f) => f.Types,
  Title: (f) => [f.Title],
  ProductName: (f) => [f.ProductName],
  CompanyName: (f) => [f.CompanyName],
  SeverityLabel: (f) => [f.Severity?.Label],
  RecordState: (f) => [f.RecordState],
  WorkflowStatus: (f) => [(f.Workflow as { Status?: string } | undefined)?.Status],
  ComplianceStatus: (f) => [(f.Compliance as { Status?: string } | undefined)?.Status],
  VerificationState: (f) => [f.VerificationState],
  ResourceType: (f) => f.Resources.map((r) => r.Type),
  ResourceId: (f) => f.Resources.map((r) => r.Id),
};
const dateFields = ['CreatedAt', 'UpdatedAt', 'FirstObservedAt', 'LastObservedAt'] as const;

/** Milliseconds of an ASFF timestamp; nanosecond fractions are cut to what a Date holds. */
const timestampMs = (text: string): number => Date.parse(text.replace(/(\.\d{3})\d+/, '$1'));

const stringMatch = (comparison: string, value: string, candidate: string): boolean => {
  switch (comparison) {
    case 'EQUALS':
    case 'NOT_EQUALS':
      return candidate === value;
    case 'PREFIX':
    case 'PREFIX_NOT_EQUALS':
      return candidate.startsWith(value);
    case 'CONTAINS':
    case 'NOT_CONTAINS':
      return candidate.includes(value);
    case 'CONTAINS_WORD':
      return candidate.split(/\W+/).includes(value);
    default:
      throw new InvalidInput(`Invalid comparison ${comparison} for a StringFilter.`);
  }
};

const negative = (comparison: string) => comparison.startsWith('NOT_') || comparison === 'PREFIX_NOT_EQUALS';

type Predicate = (finding: AsffFinding) => boolean;

const stringPredicate = (field: string, filters: { Value?: unknown; Comparison?: unknown }[]): Predicate => {
  const read = stringFields[field]!;
  const comparisons = filters.map((filter) => String(filter.Comparison));
  if (
    comparisons.includes('EQUALS') &&
    comparisons.some((c) => c === 'NOT_EQUALS' || c === 'PREFIX_NOT_EQUALS')
  ) {
    throw new InvalidInput(`Filter ${field} cannot combine EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS.`);
  }
  for (const filter of filters) {
    if (typeof filter.Value !== 'string') throw new InvalidInput(`Filter ${field} needs a string Value.`);
    stringMatch(String(filter.Comparison), filter.Value, '');
  }
  const positives = filters.filter((filter) => !negative(String(filter.Comparison)));
  const negatives = filters.filter((filter) => negative(String(filter.Comparison)));
  return (finding) => {
    const values = read(finding).filter((value): value is string => typeof value === 'string');
    const matches = (filter: (typeof filters)[number]) =>
      values.some((value) => stringMatch(String(filter.Comparison), filter.Value as string, value));
    return (positives.length === 0 || positives.some(matches)) && !negatives.some(matches);
  };
};

const datePredicate = (field: string, filters: Record<string, unknown>[]): Predicate => {
  const ranges = filters.map((filter) => {
    const range = filter.DateRange as { Value?: unknown; Unit?: unknown } | undefined;
    if (range !== undefined) {
      if (range.Unit !== 'DAYS' || !Number.isInteger(range.Value)) {
        throw new InvalidInput(`Filter ${field}: DateRange needs an integer Value and Unit DAYS.`);
      }
      return { start: Date.now() - (range.Value as number) * 86_400_000, end: Number.POSITIVE_INFINITY };
    }
    const bound = (name: 'Start' | 'End', fallback: number) => {
      const value = filter[name];
      if (value === undefined) return fallback;
      if (typeof value !== 'string' || !TIMESTAMP.test(value)) {
        throw new InvalidInput(`Filter ${field}: ${name} ${JSON.stringify(value)} is not a valid timestamp.`);
      }
      return timestampMs(value);
    };
    if (filter.Start === undefined && filter.End === undefined) {
      throw new InvalidInput(`Filter ${field} needs Start, End or DateRange.`);
    }
    return { start: bound('Start', Number.NEGATIVE_INFINITY), end: bound('End', Number.POSITIVE_INFINITY) };
  });
  return (finding) => {
    const value = finding[field];
    if (typeof value !== 'string') return false;
    const ms = timestampMs(value);
    // Both ends inclusive.
    return ranges.some(({ start, end }) => ms >= start && ms <= end);
  };
};

const compileFilters = (filters: unknown): Predicate => {
  if (filters === undefined) return () => true;
  if (typeof filters !== 'object' || filters === null) throw new InvalidInput('Filters must be an object.');
  const entries = Object.entries(filters as Record<string, unknown>);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new InvalidInput(
      `You can filter by up to ${MAX_ATTRIBUTES} finding attributes; got ${entries.length}.`,
    );
  }
  const predicates = entries.map(([field, list]): Predicate => {
    if (!Array.isArray(list)) throw new InvalidInput(`Filter ${field} must be a list.`);
    if (list.length > MAX_VALUES) {
      throw new InvalidInput(`Filter ${field} has ${list.length} values; at most ${MAX_VALUES} are allowed.`);
    }
    if ((dateFields as readonly string[]).includes(field)) return datePredicate(field, list);
    if (Object.hasOwn(stringFields, field)) return stringPredicate(field, list);
    // Not a lie about the service: a filter this stand-in cannot evaluate is said to be its limit.
    throw new InvalidInput(`The local Security Hub does not implement the ${field} filter.`);
  });
  return (finding) => predicates.every((predicate) => predicate(finding));
};

const compileSort = (criteria: unknown): ((a: AsffFinding, b: AsffFinding) => number) => {
  const list = (criteria ?? [{ Field: 'UpdatedAt', SortOrder: 'desc' }]) as {
    Field?: unknown;
    SortOrder?: unknown;
  }[];
  if (!Array.isArray(list)) throw new InvalidInput('SortCriteria must be a list.');
  const keys = list.map(({ Field, SortOrder }) => {
    if (typeof Field !== 'string') throw new InvalidInput('SortCriterion needs a Field.');
    if (SortOrder !== undefined && SortOrder !== 'asc' && SortOrder !== 'desc') {
      throw new InvalidInput(`SortOrder must be asc or desc, not ${JSON.stringify(SortOrder)}.`);
    }
    const sign = SortOrder === 'desc' ? -1 : 1;
    const isDate = (dateFields as readonly string[]).includes(Field);
    return (a: AsffFinding, b: AsffFinding) => {
      const x = isDate ? timestampMs(String(a[Field])) : String(a[Field] ?? '');
      const y = isDate ? timestampMs(String(b[Field])) : String(b[Field] ?? '');
      return (x < y ? -1 : x > y ? 1 : 0) * sign;
    };
  });
  // Ties in a stable order, so that pages neither repeat nor skip.
  return (a, b) =>
    keys.reduce((order, key) => order || key(a, b), 0) || (a.Id < b.Id ? -1 : a.Id > b.Id ? 1 : 0);
};

const error = (status: number, code: string, message: string) =>
  restJsonError(status, code, { Message: message, Code: code });

/** Creates an in-memory Security Hub answering GetFindings. */
export function createLocalSecurityHub(options: LocalSecurityHubOptions = {}): LocalSecurityHub {
  const findings: AsffFinding[] = [];
  const calls: LocalSecurityHub['calls'] = [];
  const throttle = new RequestThrottle(options.rateLimit);
  let denied = false;
  let enabled = true;
  let sequence = 0;

  const getFindings = (input: Record<string, unknown>) => {
    const maxResults = input.MaxResults ?? 100;
    if (!Number.isInteger(maxResults) || (maxResults as number) < 1 || (maxResults as number) > 100) {
      throw new InvalidInput(
        `MaxResults must be between 1 and 100; got ${JSON.stringify(input.MaxResults)}.`,
      );
    }
    const query = { Filters: input.Filters, SortCriteria: input.SortCriteria, MaxResults: maxResults };
    let offset = 0;
    if (input.NextToken !== undefined) {
      const decoded =
        typeof input.NextToken === 'string' ? pageToken.decode(input.NextToken, query) : undefined;
      if (decoded === undefined) throw new InvalidInput('The NextToken is invalid for this request.');
      offset = decoded;
    }
    const matching = findings.filter(compileFilters(input.Filters)).sort(compileSort(input.SortCriteria));
    const page = matching.slice(offset, offset + (maxResults as number));
    const next = offset + page.length;
    return {
      Findings: page,
      ...(next < matching.length ? { NextToken: pageToken.encode(query, next) } : {}),
    };
  };

  const answer = (request: RestJsonRequest) => {
    if (denied) {
      return error(
        403,
        'AccessDeniedException',
        `User: arn:aws:sts::${localAccountId}:assumed-role/ferry-connector/ferry is not authorized to perform: securityhub:GetFindings on resource: arn:aws:securityhub:${localRegion}:${localAccountId}:hub/default`,
      );
    }
    if (!throttle.take()) return error(429, 'TooManyRequestsException', 'Too Many Requests');
    if (!enabled) {
      return error(
        401,
        'InvalidAccessException',
        `Account ${localAccountId} is not subscribed to AWS Security Hub`,
      );
    }
    const input = parseJsonObject(request.body);
    if (!input) return error(400, 'SerializationException', 'The request body is not a JSON object.');
    try {
      return restJsonResponse(getFindings(input));
    } catch (caught) {
      if (caught instanceof InvalidInput) return error(400, 'InvalidInputException', caught.message);
      throw caught;
    }
  };

  return {
    add(fields) {
      sequence++;
      const id =
        fields.Id ??
        `arn:aws:securityhub:${localRegion}:${localAccountId}:subscription/aws-foundational-security-best-practices/v/1.0.0/S3.1/finding/${String(sequence).padStart(8, '0')}`;
      const finding: AsffFinding = {
        SchemaVersion: '2018-10-08',
        Id: id,
        ProductArn: `arn:aws:securityhub:${localRegion}::product/aws/securityhub`,
        ProductName: 'Security Hub',
        CompanyName: 'AWS',
        Region: localRegion,
        GeneratorId: 'security-control/S3.1',
        AwsAccountId: localAccountId,
        Types: ['Software and Configuration Checks/Industry and Regulatory Standards'],
        UpdatedAt: fields.CreatedAt,
        Severity: { Label: 'MEDIUM', Normalized: 40, Original: 'MEDIUM' },
        Title: 'S3 general purpose buckets should have block public access settings enabled',
        Description:
          'This control checks whether the preceding Amazon S3 block public access settings are configured.',
        Resources: [
          {
            Type: 'AwsAccount',
            Id: `AWS::::Account:${localAccountId}`,
            Partition: 'aws',
            Region: localRegion,
          },
        ],
        RecordState: 'ACTIVE',
        Workflow: { Status: 'NEW' },
        Compliance: { Status: 'FAILED' },
        ...fields,
      };
      findings.push(finding);
      return finding;
    },
    throttleNext: (count = 1) => throttle.throttleNext(count),
    denyAccess(value) {
      denied = value;
    },
    setEnabled(value) {
      enabled = value;
    },
    calls,
    service(request) {
      if (request.path !== '/findings') return undefined;
      if (request.method !== 'POST')
        return error(404, 'UnknownOperationException', `No operation ${request.method} /findings.`);
      const response = answer(request);
      const errorType = response.headers['x-amzn-errortype'];
      calls.push({
        input: parseJsonObject(request.body) ?? {},
        status: response.status,
        ...(errorType ? { errorType } : {}),
        at: Date.now(),
      });
      return response;
    },
  };
}
