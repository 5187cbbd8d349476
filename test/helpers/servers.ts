import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { text as readBody } from 'node:stream/consumers';
import type { Incident } from '../../shared/incident.js';
import { freePort, listen } from '../../shared/listen.js';

export { freePort };

/** A URL nothing listens on: a source or a sink that is down. */
export const closedPortUrl = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;

/** One request a {@link SinkProxy} received. */
export interface RecordedPush {
  readonly idempotencyKey: string | undefined;
  readonly authorization: string | undefined;
  readonly incidents: Incident[];
  /** The status the proxy answered with. */
  readonly status: number;
  /** What the ingestion endpoint answered, when the batch was forwarded. */
  readonly endpointAnswer?: unknown;
}

/**
 * How the proxy answers: `forward` passes the batch on and returns the target's answer; `lose-ack`
 * passes it on (the endpoint stores it) but answers 502, as a gateway that times out after the
 * endpoint committed — the crash between push and commit; `down` answers 503 without forwarding.
 */
export type SinkProxyMode = 'forward' | 'lose-ack' | 'down';

/** A recording HTTP proxy in front of the ingestion endpoint. */
export interface SinkProxy {
  readonly url: string;
  readonly pushes: RecordedPush[];
  mode: SinkProxyMode;
  close(): Promise<void>;
}

/** Starts a {@link SinkProxy} that forwards `POST /incidents` to `target` (the ingestion endpoint). */
export const startSinkProxy = async (target: string): Promise<SinkProxy> => {
  const pushes: RecordedPush[] = [];
  const proxy = { mode: 'forward' as SinkProxyMode };
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const body = await readBody(request);
    const header = (name: string) => {
      const value = request.headers[name];
      return Array.isArray(value) ? value.join(',') : value;
    };
    let status = 503;
    let answer = JSON.stringify({ error: { code: 'UNAVAILABLE', message: 'The proxy is down.' } });
    let endpointAnswer: unknown;
    if (proxy.mode !== 'down') {
      const forwarded = await fetch(new URL(request.url ?? '/', target), {
        method: request.method,
        headers: {
          'content-type': 'application/json',
          ...(header('authorization') ? { authorization: header('authorization')! } : {}),
          ...(header('idempotency-key') ? { 'idempotency-key': header('idempotency-key')! } : {}),
        },
        body: request.method === 'POST' ? body : undefined,
      });
      status = forwarded.status;
      answer = await forwarded.text();
      endpointAnswer = JSON.parse(answer);
      if (proxy.mode === 'lose-ack') {
        status = 502;
        answer = JSON.stringify({ error: { code: 'BAD_GATEWAY', message: 'Upstream timed out.' } });
      }
    }
    if (request.method === 'POST') {
      const parsed = JSON.parse(body) as { incidents?: Incident[] };
      pushes.push({
        idempotencyKey: header('idempotency-key'),
        authorization: header('authorization'),
        incidents: parsed.incidents ?? [],
        status,
        endpointAnswer,
      });
    }
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(answer);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'PROXY', message: String(error) } }));
    });
  });
  const { url, close } = await listen(server);
  return Object.assign(proxy, { url, pushes, close });
};
