import { setTimeout as sleep } from 'node:timers/promises';
import { type ArmedFault, listenProxy, takeFault } from './fault-proxy.js';
import { dropConnection, forward, readBody, reply } from './http-forward.js';

/**
 * How the proxy fails a push:
 * - `error-500`: answers 500 without forwarding (the endpoint down);
 * - `hang`: never answers (a timeout; the client gives up);
 * - `accept-then-drop`: forwards (the endpoint stores the batch), then drops the connection unanswered;
 * - `slow-accept`: forwards, then answers only after `delayMs` (acceptance past the caller's deadline).
 */
export type SinkFaultMode = 'error-500' | 'hang' | 'accept-then-drop' | 'slow-accept';

/** The endpoint's answer to one forwarded batch (the reference endpoint's `{accepted, new, duplicates}`). */
export interface ForwardedPush {
  readonly instance: string | undefined;
  readonly incidents: number;
  readonly status: number;
  readonly answer: { accepted?: number; new?: number; duplicates?: number } | undefined;
  /** The fault the client saw instead of the answer, if any. */
  readonly fault?: SinkFaultMode;
}

export interface SinkFaultProxy {
  readonly url: string;
  /** Every batch that reached the endpoint, in order. */
  readonly forwarded: ForwardedPush[];
  /** The next `count` pushes (default 1; Infinity until `clear`) fail with `mode`. */
  inject(mode: SinkFaultMode, options?: { count?: number; delayMs?: number }): void;
  clear(): void;
  close(): Promise<void>;
}

const parse = (body: Buffer): unknown => {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
};

/** Starts a fault-injecting proxy in front of the ingestion endpoint at `target`. */
export const startSinkFaultProxy = async (target: string): Promise<SinkFaultProxy> => {
  let armed: (ArmedFault<SinkFaultMode> & { delayMs: number }) | undefined;
  const forwarded: ForwardedPush[] = [];
  const server = await listenProxy(async (request, response) => {
    const body = await readBody(request);
    const fault = request.method === 'POST' ? takeFault(armed) : undefined;
    if (fault === 'error-500') {
      response.writeHead(500, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: { code: 'INTERNAL', message: 'Injected failure.' } }));
      return;
    }
    if (fault === 'hang') {
      // Answer nothing; the client's timeout or abort closes the socket.
      await new Promise<void>((resolve) => request.socket.once('close', resolve));
      return;
    }
    const answer = await forward(request, body, target);
    if (request.method === 'POST') {
      const batch = parse(body) as { instance?: string; incidents?: unknown[] } | undefined;
      forwarded.push({
        instance: batch?.instance,
        incidents: batch?.incidents?.length ?? 0,
        status: answer.status,
        answer: parse(answer.body) as ForwardedPush['answer'],
        fault,
      });
    }
    if (fault === 'accept-then-drop') return dropConnection(response);
    if (fault === 'slow-accept') {
      const closed = new Promise<void>((resolve) => request.socket.once('close', resolve));
      await Promise.race([sleep(armed?.delayMs ?? 5_000), closed]);
      if (request.socket.destroyed) return;
    }
    reply(response, answer);
  });
  return {
    url: server.url,
    forwarded,
    inject: (mode, options = {}) => {
      armed = { mode, remaining: options.count ?? 1, delayMs: options.delayMs ?? 5_000 };
    },
    clear: () => {
      armed = undefined;
    },
    close: server.close,
  };
};
