// Over 300 lines: one server with three front doors (REST create, search, webhook) that share the
// store, the fault injection and the request log; the contract rules themselves live beside it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { buffer as readBody } from 'node:stream/consumers';
import { listen } from '../../../shared/listen.js';
import { apiKeyAccepted, type StandInCredentials, webhookAccepted, webhookSecretHeader } from './auth.js';
import { createRequestProblem, errorBody, isGoTime } from './contract.js';
import { matches, parseQuery } from './query.js';
import { handleWebhook, type WebhookInstance } from './webhook.js';

/**
 * A local XSOAR as strict as its published contract (see contract.ts, query.ts, auth.ts, webhook.ts
 * for each rule's source), on 127.0.0.1:
 * - `6`: `POST /incident` (CreateIncidentRequest), `POST /incidents/search` (SearchIncidentsData);
 * - `8`: the same under `/xsoar/public/v1/`, standard or advanced API key;
 * - `webhook`: the Generic Webhook at `/instance/execute/<instance>`, plus the REST search of the
 *   XSOAR 6 server it runs on (`apiKey` set) for what it created.
 * Faults: a gateway that stores then answers 502 (`storeThenFail`), injected answers (`failNext`,
 * `failAfter`), a licence that lapsed (402), a key whose role may only read (403), a body limit (413).
 */
export type XsoarFlavour = 6 | 8 | 'webhook';

export interface XsoarStandInOptions extends StandInCredentials {
  readonly flavour: XsoarFlavour;
  readonly webhook?: Omit<WebhookInstance, 'name'> & { readonly name?: string };
  /** Over this, the answer is nginx's 413 page (a proxy in front of XSOAR). */
  readonly maxBodyBytes?: number;
  /** `expired`: every API request is answered 402. @default 'valid' */
  readonly licence?: 'valid' | 'expired';
  /** `read-only`: the key may search but not create (403). @default 'full' */
  readonly role?: 'full' | 'read-only';
}

/** An incident the stand-in holds: XSOAR's record, and the request that created it. */
export interface StoredIncident {
  readonly id: string;
  readonly incident: Record<string, unknown>;
  /** The request body as received (for the webhook, the one element). */
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

export interface InjectedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface RequestRecord {
  readonly kind: 'create' | 'search' | 'other';
  readonly path: string;
  readonly status: number;
  readonly at: number;
}

export interface XsoarStandIn {
  readonly url: string;
  readonly incidents: StoredIncident[];
  readonly requests: RequestRecord[];
  /** Every `every`-th request (counting all) is handled — a create is stored — then answered `status`. */
  storeThenFail(every: number | undefined, status?: number): void;
  /** Answers the next `count` create requests with `answer` (and creates nothing). */
  failNext(count: number, answer: InjectedAnswer): void;
  /** Fails every create request once `after` incidents exist, with `answer`. */
  failAfter(after: number, answer: InjectedAnswer | undefined): void;
  /** Waits this long before answering each request. */
  delayMs: number;
  /** Called as each incident is stored, before the answer goes out. */
  onCreated: ((incident: StoredIncident) => void) | undefined;
  readonly concurrency: { now: number; max: number };
  close(): Promise<void>;
}

/** Where a handler's answer goes: the response, or nowhere when the gateway answers instead. */
type Reply = (status: number, body: unknown, type?: string) => void;

const replyTo =
  (response: ServerResponse): Reply =>
  (status, body, type = 'application/json') => {
    if (response.headersSent || response.destroyed) return;
    response.writeHead(status, { 'content-type': type });
    response.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

export const startXsoarStandIn = async (options: XsoarStandInOptions): Promise<XsoarStandIn> => {
  const incidents: StoredIncident[] = [];
  const requests: RequestRecord[] = [];
  const injected: InjectedAnswer[] = [];
  const seenNonces = new Set<string>();
  const foundIds: string[] = [];
  let failingAfter: { after: number; answer: InjectedAnswer } | undefined;
  let gateway: { every: number; status: number } | undefined;
  let counted = 0;
  const concurrency = { now: 0, max: 0 };
  const api = options.flavour === 8 ? 8 : 6;
  const prefix = options.flavour === 8 ? '/xsoar/public/v1' : '';
  const webhook: WebhookInstance = { ...options.webhook, name: options.webhook?.name ?? 'ferry' };
  const routes = {
    create:
      options.flavour === 'webhook'
        ? `/instance/execute/${encodeURIComponent(webhook.name)}`
        : `${prefix}/incident`,
    search: `${prefix}/incidents/search`,
  };

  const store = (
    incident: Record<string, unknown>,
    body: Record<string, unknown>,
    request: IncomingMessage,
  ) => {
    const id = String(incidents.length + 1);
    const record = {
      ...incident,
      id,
      version: 1,
      created: new Date().toISOString(),
      // XSOAR sets occurred to the creation time when none is given.
      occurred: incident.occurred ?? new Date().toISOString(),
    };
    const stored = { id, incident: record, body, headers: request.headers };
    incidents.push(stored);
    fake.onCreated?.(stored);
    return record;
  };

  const apiError = (reply: Reply, status: number, id: string, title: string, detail: string) =>
    reply(status, errorBody(api, status, id, title, detail));

  const createViaApi = (request: IncomingMessage, text: string, reply: Reply): number => {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      apiError(reply, 400, 'bad_request', 'Bad request', 'Request body is not well-formed. It must be JSON.');
      return 400;
    }
    const problem = createRequestProblem(body);
    if (problem) {
      apiError(reply, 400, 'bad_request', 'Bad request', problem);
      return 400;
    }
    const { createInvestigation: _, ...incident } = body as Record<string, unknown>;
    reply(200, store(incident, body as Record<string, unknown>, request));
    return 200;
  };

  const createViaWebhook = (request: IncomingMessage, text: string, reply: Reply): number => {
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [
        name,
        Array.isArray(value) ? value.join(', ') : (value ?? ''),
      ]),
    );
    delete headers[webhookSecretHeader(options)];
    const outcome = handleWebhook(webhook, text, headers, foundIds);
    if (outcome.status !== 200) {
      reply(outcome.status, outcome.text, 'text/plain');
      return outcome.status;
    }
    // demisto.createIncidents parses occurred like the REST API: a bad one fails the whole call.
    if (
      outcome.incidents.some((incident) => incident.occurred != null && !isGoTime(String(incident.occurred)))
    ) {
      reply(500, 'Internal Server Error', 'text/plain');
      return 500;
    }
    if (outcome.incidents.length === 0) {
      reply(200, 'null');
      return 200;
    }
    const parsed = JSON.parse(text) as unknown;
    const bodies = (Array.isArray(parsed) ? parsed : [parsed]) as Record<string, unknown>[];
    const created = outcome.incidents.map((incident, index) => store(incident, bodies[index] ?? {}, request));
    reply(200, created);
    return 200;
  };

  const search = (text: string, reply: Reply): number => {
    let filter: Record<string, unknown> | undefined;
    try {
      filter = (JSON.parse(text) as { filter?: Record<string, unknown> }).filter;
    } catch {
      apiError(reply, 400, 'bad_request', 'Bad request', 'Request body is not well-formed. It must be JSON.');
      return 400;
    }
    let matcher: ((incident: Record<string, unknown>) => boolean) | undefined;
    if (typeof filter?.query === 'string' && filter.query.trim() !== '') {
      try {
        const node = parseQuery(filter.query);
        matcher = (incident) => matches(node, incident);
      } catch (error) {
        apiError(
          reply,
          400,
          'bad_request',
          'Bad request',
          `Failed to parse query: ${(error as Error).message}`,
        );
        return 400;
      }
    }
    // [swagger] IncidentFilter.size: "limited to 1000, if not passed it defaults to 0, and no results will return".
    const size = Math.min(1000, Math.max(0, Number(filter?.size ?? 0) || 0));
    const page = Math.max(0, Number(filter?.page ?? 0) || 0);
    const all = incidents.map((item) => item.incident).filter((incident) => matcher?.(incident) ?? true);
    const data = all.slice(page * size, page * size + size);
    // Go encodes an empty result slice as null.
    reply(200, { total: all.length, data: data.length > 0 ? data : null });
    return 200;
  };

  const handle = async (
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<RequestRecord['kind'] | number> => {
    const raw = await readBody(request);
    const reply = replyTo(response);
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    const path = request.url ?? '';
    const isCreate = request.method === 'POST' && path === routes.create;
    const isSearch =
      request.method === 'POST' &&
      path === routes.search &&
      (options.flavour !== 'webhook' || options.apiKey !== undefined);
    if (!isCreate && !isSearch) {
      apiError(reply, 404, 'not_found', 'Not Found', `No route ${request.method} ${path}`);
      return 404;
    }
    if (options.maxBodyBytes !== undefined && raw.length > options.maxBodyBytes) {
      reply(
        413,
        '<html><head><title>413 Request Entity Too Large</title></head><body></body></html>',
        'text/html',
      );
      return 413;
    }
    const viaWebhook = isCreate && options.flavour === 'webhook';
    if (
      viaWebhook ? !webhookAccepted(request, options) : !apiKeyAccepted(request, api, options, seenNonces)
    ) {
      if (viaWebhook) reply(401, 'Authorization failed.', 'text/plain');
      else if (api === 8) reply(401, errorBody(8, 401, '', '', 'Public API request unauthorized'));
      else apiError(reply, 401, 'unauthorized', 'Unauthorized', 'Issue with API key');
      return 401;
    }
    if (!viaWebhook && options.licence === 'expired') {
      apiError(
        reply,
        402,
        'license',
        'Payment Required',
        'Your license has expired. Contact your account team to renew it.',
      );
      return 402;
    }
    if (isCreate && !viaWebhook && options.role === 'read-only') {
      apiError(
        reply,
        403,
        'forbidden',
        'Forbidden',
        'The API key role does not have permission to create incidents',
      );
      return 403;
    }
    const answer = isCreate
      ? (injected.shift() ??
        (failingAfter && incidents.length >= failingAfter.after ? failingAfter.answer : undefined))
      : undefined;
    if (answer) {
      response.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
      response.end(
        answer.body ?? JSON.stringify(errorBody(api, answer.status, 'injected', 'Injected', 'injected')),
      );
      return answer.status;
    }
    counted++;
    const failing = gateway !== undefined && counted % gateway.every === 0 ? gateway.status : undefined;
    const target: Reply = failing === undefined ? reply : () => {};
    const text = raw.toString('utf8');
    const status = isSearch
      ? search(text, target)
      : viaWebhook
        ? createViaWebhook(request, text, target)
        : createViaApi(request, text, target);
    if (failing === undefined) return status;
    // The gateway in front of XSOAR gives up after XSOAR did the work.
    reply(
      failing,
      '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>',
      'text/html',
    );
    return failing;
  };

  const server = createServer((request, response) => {
    concurrency.now++;
    concurrency.max = Math.max(concurrency.max, concurrency.now);
    const kind: RequestRecord['kind'] =
      request.url === routes.create ? 'create' : request.url === routes.search ? 'search' : 'other';
    handle(request, response)
      .then((status) =>
        requests.push({ kind, path: request.url ?? '', status: Number(status), at: Date.now() }),
      )
      .catch((error: unknown) => replyTo(response)(500, { detail: String(error) }))
      .finally(() => {
        concurrency.now--;
      });
  });
  const { url, close } = await listen(server);
  const fake: XsoarStandIn = {
    url,
    incidents,
    requests,
    delayMs: 0,
    onCreated: undefined,
    concurrency,
    storeThenFail(every, status = 502) {
      gateway = every === undefined ? undefined : { every, status };
      counted = 0;
    },
    failNext(count, answer) {
      for (let i = 0; i < count; i++) injected.push(answer);
    },
    failAfter(after, answer) {
      failingAfter = answer ? { after, answer } : undefined;
    },
    close,
  };
  return fake;
};
