import { type Context, Hono } from 'hono';
import {
  advertise,
  idSequence,
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * SentinelOne's Management API v2.1 threats, as documented (the console's API doc, `/api-doc/`, "Get
 * Threats"; XSOAR's SentinelOne V2 integration, which fetches with the same parameters):
 * - `GET /web/api/v2.1/threats` with `Authorization: ApiToken <token>`; a missing or wrong token: 401
 *   `{"errors": [{"code": 4010010, "title": "Authentication Failed"}]}`.
 * - Filters `createdAt__gt`, `createdAt__gte`, `createdAt__lt`, `createdAt__lte` (ISO-8601, on
 *   `threatInfo.createdAt`), `sortBy` (`createdAt`, `updatedAt`, `id`), `sortOrder` (`asc`|`desc`),
 *   `limit` (1–1000, default 10), `cursor` (not with `skip`). A bad value: 400 `"Validation Error"`.
 * - `{"data": [threats], "pagination": {"nextCursor": "<opaque>"|null, "totalItems": n}}`; a cursor
 *   belongs to the query it came from.
 * - Too many requests: 429 (no Retry-After is documented; clients back off).
 */

export interface S1Threat {
  id: string;
  threatInfo: {
    threatId: string;
    threatName: string;
    classification: 'Malware' | 'Ransomware' | 'Trojan' | 'PUA';
    confidenceLevel: 'malicious' | 'suspicious';
    analystVerdict: 'undefined' | 'true_positive';
    mitigationStatus: 'mitigated' | 'not_mitigated';
    createdAt: string;
    updatedAt: string;
    sha1: string;
    filePath: string;
  };
  agentRealtimeInfo: {
    agentId: string;
    agentComputerName: string;
    agentOsType: 'windows' | 'linux' | 'macos';
  };
  agentDetectionInfo: { agentIpV4: string };
  indicators: unknown[];
}

export interface SentinelOneServer extends RunningServer, VendorControls {
  readonly token: string;
  add(created: number | Date, fields?: Partial<S1Threat>): S1Threat;
}

const MAX_LIMIT = 1000;
const SORTABLE = ['createdAt', 'updatedAt', 'id'] as const;
const TIME_FILTERS = {
  createdAt__gt: 'gt',
  createdAt__gte: 'gte',
  createdAt__lt: 'lt',
  createdAt__lte: 'lte',
} as const;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

const s1Error = (
  c: Context,
  status: 400 | 401 | 429,
  code: number,
  title: string,
  detail: string | null = null,
) => c.json({ errors: [{ code, detail, title }] }, status);

/** Starts SentinelOne's threats API on 127.0.0.1. */
export const startSentinelOne = async (): Promise<SentinelOneServer> => {
  const token = 'eyJraWQiOiJ1cy1lYXN0LTEtcHJvZC0wIiwiYWxnIjoiRVMyNTYifQ.s1-api-token';
  const requests: RecordedRequest[] = [];
  const quota = new Quota(1000, 60_000);
  const stored: S1Threat[] = [];
  const nextId = idSequence('17', 16);
  let injected: number | undefined;

  const app = new Hono();
  app.use(recordRequests(requests));
  app.get('/web/api/v2.1/threats', (c) => {
    if (c.req.header('authorization') !== `ApiToken ${token}`)
      return s1Error(c, 401, 4010010, 'Authentication Failed');
    const limited = injected ?? (quota.take() ? undefined : quota.secondsToReset());
    injected = undefined;
    if (limited !== undefined) {
      advertise(c, 0);
      return s1Error(c, 429, 4290010, 'Too Many Requests');
    }
    const query = c.req.query();
    const limit = query.limit === undefined ? 10 : Number(query.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) {
      return s1Error(c, 400, 4000010, 'Validation Error', `limit: Must be between 1 and ${MAX_LIMIT}.`);
    }
    if (query.cursor !== undefined && query.skip !== undefined) {
      return s1Error(c, 400, 4000010, 'Validation Error', 'cursor and skip cannot be used together.');
    }
    const bounds: { op: string; ms: number }[] = [];
    for (const [name, op] of Object.entries(TIME_FILTERS)) {
      const value = query[name];
      if (value === undefined) continue;
      if (!ISO.test(value))
        return s1Error(c, 400, 4000010, 'Validation Error', `${name}: Not a valid datetime.`);
      bounds.push({ op, ms: Date.parse(value) });
    }
    const sortBy = query.sortBy ?? 'createdAt';
    const sortOrder = query.sortOrder ?? 'desc';
    if (!(SORTABLE as readonly string[]).includes(sortBy) || !['asc', 'desc'].includes(sortOrder)) {
      return s1Error(
        c,
        400,
        4000010,
        'Validation Error',
        `sortBy/sortOrder: ${sortBy} ${sortOrder} is not allowed.`,
      );
    }
    const key = (threat: S1Threat) =>
      sortBy === 'id' ? threat.id : threat.threatInfo[sortBy as 'createdAt' | 'updatedAt'];
    const matching = stored
      .filter((threat) => {
        const ms = Date.parse(threat.threatInfo.createdAt);
        return bounds.every(({ op, ms: bound }) =>
          op === 'gt' ? ms > bound : op === 'gte' ? ms >= bound : op === 'lt' ? ms < bound : ms <= bound,
        );
      })
      .sort(
        (a, b) =>
          (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : a.id.localeCompare(b.id)) *
          (sortOrder === 'asc' ? 1 : -1),
      );
    // The cursor names the query it belongs to; another query's cursor is refused.
    const signature = JSON.stringify([bounds, sortBy, sortOrder]);
    let skip = Number(query.skip ?? 0);
    if (query.cursor !== undefined) {
      try {
        const [from, of] = JSON.parse(Buffer.from(query.cursor, 'base64url').toString()) as [number, string];
        if (of !== signature) throw new Error('another query');
        skip = from;
      } catch {
        return s1Error(c, 400, 4000010, 'Validation Error', 'cursor: Invalid cursor.');
      }
    }
    const page = matching.slice(skip, skip + limit);
    const more = skip + page.length < matching.length;
    return c.json({
      data: page,
      pagination: {
        nextCursor: more
          ? Buffer.from(JSON.stringify([skip + page.length, signature])).toString('base64url')
          : null,
        totalItems: matching.length,
      },
    });
  });
  app.notFound((c) => s1Error(c as Context, 400 as never, 4040010, 'Not Found') as never);

  const server = await listen(app);
  let sequence = 0;
  return {
    ...server,
    token,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(created, fields = {}) {
      const createdMs = typeof created === 'number' ? created : created.getTime();
      sequence++;
      const id = nextId();
      const threat: S1Threat = {
        id,
        threatInfo: {
          threatId: id,
          threatName: ['mimikatz.exe', 'invoice.pdf.exe', 'xmrig', 'setup_crack.exe'][sequence % 4]!,
          classification: (['Malware', 'Ransomware', 'Trojan', 'PUA'] as const)[sequence % 4]!,
          confidenceLevel: sequence % 3 === 0 ? 'suspicious' : 'malicious',
          analystVerdict: 'undefined',
          mitigationStatus: 'mitigated',
          createdAt: new Date(createdMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
          updatedAt: new Date(createdMs).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z'),
          sha1: '3395856ce81f2b7382dee72602f798b642f14140',
          filePath: '\\Device\\HarddiskVolume3\\Users\\alice\\Downloads\\file.exe',
        },
        agentRealtimeInfo: {
          agentId: `9${id.slice(1)}`,
          agentComputerName: `LAPTOP-${id.slice(-5)}`,
          agentOsType: 'windows',
        },
        agentDetectionInfo: { agentIpV4: '10.0.0.12' },
        indicators: [],
        ...fields,
      };
      stored.push(threat);
      return threat;
    },
  };
};
