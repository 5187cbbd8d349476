import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { buffer as readBody } from 'node:stream/consumers';
import { listen } from '../../../shared/listen.js';

/**
 * A small XSOAR on 127.0.0.1 that answers the way the documented APIs do:
 * - `6`: `POST /incident`, `Authorization: <api key>`; 401 with XSOAR's error object;
 * - `8`: `POST /xsoar/public/v1/incident`, `Authorization` + `x-xdr-auth-id`; 401 with the public
 *   API's `{reply: {err_code, err_msg}}`;
 * - `webhook`: the Generic Webhook's `POST /instance/execute/<instance>`, basic auth, 401
 *   `Authorization failed.` as text, 422 when `raw_json` is not an object, the created incidents as
 *   a list.
 * The created incident echoes the request with its new `id` and `version`, as XSOAR answers.
 */
export type FakeXsoarFlavour = 6 | 8 | 'webhook';

export interface FakeXsoarOptions {
  readonly flavour: FakeXsoarFlavour;
  readonly apiKey?: string;
  readonly apiKeyId?: string;
  readonly webhookInstance?: string;
  readonly username?: string;
  readonly password?: string;
  /** Over this, the answer is nginx's 413 page (a proxy in front of XSOAR). */
  readonly maxBodyBytes?: number;
}

/** An incident the fake created. */
export interface CreatedIncident {
  readonly id: string;
  /** The request body as received. */
  readonly body: Record<string, unknown>;
  readonly headers: IncomingMessage['headers'];
}

/** An answer instead of a creation. */
export interface InjectedAnswer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

export interface FakeXsoar {
  readonly url: string;
  readonly incidents: CreatedIncident[];
  /** Every request with the status answered, in order of arrival. */
  readonly requests: { path: string; status: number; at: number }[];
  /** Answers the next `count` create requests with `answer` (and creates nothing). */
  failNext(count: number, answer: InjectedAnswer): void;
  /** Fails every create request from the `after`-th on (1-based, counting creations) with `answer`. */
  failAfter(after: number, answer: InjectedAnswer | undefined): void;
  /** Waits this long before answering each request. */
  delayMs: number;
  /** Called as each incident is created, before the answer goes out. */
  onCreated: ((incident: CreatedIncident) => void) | undefined;
  /** Requests being handled right now; the most seen at once. */
  readonly concurrency: { now: number; max: number };
  close(): Promise<void>;
}

const same = (presented: string | undefined, expected: string | undefined): boolean => {
  if (presented === undefined || expected === undefined) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

const json = (response: ServerResponse, status: number, body: unknown) => {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
};

export const startFakeXsoar = async (options: FakeXsoarOptions): Promise<FakeXsoar> => {
  const incidents: CreatedIncident[] = [];
  const requests: FakeXsoar['requests'] = [];
  const injected: InjectedAnswer[] = [];
  let failingAfter: { after: number; answer: InjectedAnswer } | undefined;
  const concurrency = { now: 0, max: 0 };
  const path =
    options.flavour === 6
      ? '/incident'
      : options.flavour === 8
        ? '/xsoar/public/v1/incident'
        : `/instance/execute/${encodeURIComponent(options.webhookInstance ?? 'ferry')}`;

  const authorized = (request: IncomingMessage): boolean => {
    const header = request.headers.authorization;
    if (options.flavour === 6) return same(header, options.apiKey);
    if (options.flavour === 8)
      return (
        same(header, options.apiKey) && same(request.headers['x-xdr-auth-id'] as string, options.apiKeyId)
      );
    if (options.username === undefined) return true;
    const basic = /^Basic (.+)$/.exec(header ?? '')?.[1];
    const [user, ...rest] = Buffer.from(basic ?? '', 'base64')
      .toString()
      .split(':');
    return same(user, options.username) && same(rest.join(':'), options.password);
  };

  const unauthorized = (response: ServerResponse) => {
    if (options.flavour === 6) {
      json(response, 401, {
        id: 'unauthorized',
        status: 401,
        title: 'Unauthorized',
        detail: 'Unauthorized',
        error: 'Issue with API key',
        encrypted: false,
        multires: null,
      });
    } else if (options.flavour === 8) {
      json(response, 401, {
        reply: { err_code: 401, err_msg: 'Public API request unauthorized', err_extra: '' },
      });
    } else {
      response.writeHead(401, { 'content-type': 'text/plain' });
      response.end('Authorization failed.');
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<number> => {
    const raw = await readBody(request);
    if (fake.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, fake.delayMs));
    if (request.method !== 'POST' || request.url !== path) {
      json(response, 404, {
        id: 'not_found',
        status: 404,
        title: 'Not Found',
        detail: `No route ${request.url}`,
      });
      return 404;
    }
    if (options.maxBodyBytes !== undefined && raw.length > options.maxBodyBytes) {
      response.writeHead(413, { 'content-type': 'text/html' });
      response.end('<html><head><title>413 Request Entity Too Large</title></head><body></body></html>');
      return 413;
    }
    if (!authorized(request)) {
      unauthorized(response);
      return 401;
    }
    const answer =
      injected.shift() ??
      (failingAfter && incidents.length >= failingAfter.after ? failingAfter.answer : undefined);
    if (answer) {
      response.writeHead(answer.status, answer.headers ?? { 'content-type': 'application/json' });
      response.end(
        answer.body ?? JSON.stringify({ status: answer.status, title: 'injected', detail: 'injected' }),
      );
      return answer.status;
    }
    const body = JSON.parse(raw.toString('utf8')) as Record<string, unknown>;
    if (options.flavour === 'webhook') {
      const rawJson = body.raw_json;
      if (typeof rawJson !== 'object' || rawJson === null || Array.isArray(rawJson)) {
        json(response, 422, { detail: [{ loc: ['body', 'raw_json'], msg: 'value is not a valid dict' }] });
        return 422;
      }
    } else if (
      typeof body.name !== 'string' ||
      (body.rawJSON !== undefined && typeof body.rawJSON !== 'string')
    ) {
      json(response, 400, {
        id: 'bad_request',
        status: 400,
        title: 'Bad Request',
        detail: 'Invalid incident',
      });
      return 400;
    }
    const id = String(incidents.length + 1);
    const createdIncident = { id, body, headers: request.headers };
    incidents.push(createdIncident);
    fake.onCreated?.(createdIncident);
    const created = { ...body, id, version: 1, created: new Date().toISOString() };
    json(response, 200, options.flavour === 'webhook' ? [created] : created);
    return 200;
  };

  const server = createServer((request, response) => {
    concurrency.now++;
    concurrency.max = Math.max(concurrency.max, concurrency.now);
    handle(request, response)
      .then((status) => requests.push({ path: request.url ?? '', status, at: Date.now() }))
      .catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { detail: String(error) });
      })
      .finally(() => {
        concurrency.now--;
      });
  });
  const { url, close } = await listen(server);
  const fake: FakeXsoar = {
    url,
    incidents,
    requests,
    delayMs: 0,
    onCreated: undefined,
    concurrency,
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
