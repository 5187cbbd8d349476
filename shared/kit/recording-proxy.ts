import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { buffer as readBody } from 'node:stream/consumers';
import { listen } from '../listen.js';
import { retryAfterMs } from '../retry.js';
import type { RateLimitProbe, SourceRequest } from './conformance-target.js';

/** A recording HTTP proxy in front of a source that cannot report its requests itself. */
export interface RecordingProxy extends RateLimitProbe {
  /** `http://127.0.0.1:<port>`: give it to the connector instead of the source's URL. */
  readonly url: string;
  close(): Promise<void>;
}

export interface RecordingProxyOptions {
  /**
   * Makes the source itself answer its next request with 429 (the vendor's own headers). Without it the
   * proxy answers 429 with `Retry-After` itself, for sources that never rate-limit (a real product).
   */
  readonly rateLimitSource?: (seconds: number) => void;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'content-length',
  'content-encoding',
  'host',
  'upgrade',
]);

/**
 * Starts a proxy on 127.0.0.1 that forwards every request to `target` and records when it came and how
 * it was answered, with the delay a 429 advertised (`Retry-After` or a reset header) — what the kit's
 * rate-limit check needs from any HTTP source.
 */
export const startRecordingProxy = async (
  target: string,
  options: RecordingProxyOptions = {},
): Promise<RecordingProxy> => {
  const log: SourceRequest[] = [];
  let injected = 0;
  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const at = Date.now();
    if (injected > 0) {
      const seconds = injected;
      injected = 0;
      log.push({ at, status: 429, advertisedMs: seconds * 1000 });
      response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(seconds) });
      response.end(JSON.stringify({ error: 'rate limited by the conformance kit' }));
      return;
    }
    const body = await readBody(request);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined && !HOP_BY_HOP.has(name))
        headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    const answer = await fetch(new URL(request.url ?? '/', target), {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
      redirect: 'manual',
    });
    const text = Buffer.from(await answer.arrayBuffer());
    const advertised = answer.status === 429 ? retryAfterMs(answer.headers, at) : undefined;
    log.push({
      at,
      status: answer.status,
      ...(advertised === undefined ? {} : { advertisedMs: advertised }),
    });
    const out: Record<string, string> = {};
    answer.headers.forEach((value, name) => {
      if (!HOP_BY_HOP.has(name)) out[name] = value;
    });
    response.writeHead(answer.status, out);
    response.end(text);
  };
  const server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.writeHead(502, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `proxy: ${String(error)}` }));
    });
  });
  const { url, close } = await listen(server);
  return {
    url,
    next(seconds) {
      if (options.rateLimitSource) options.rateLimitSource(seconds);
      else injected = seconds;
    },
    log: () => [...log],
    close,
  };
};
