import { type ArmedFault, listenProxy, takeFault } from './fault-proxy.js';
import { dropConnection, forward, readBody, reply } from './http-forward.js';

/**
 * How the proxy fails a source request:
 * - `reset`: destroys the connection before answering (ECONNRESET at the client);
 * - `truncate`: sends the headers and half the body, then cuts the connection (a page cut short);
 * - `truncate-json`: answers 200 with a complete response whose JSON body is cut in half.
 */
export type SourceFaultMode = 'reset' | 'truncate' | 'truncate-json';

export interface SourceFaultProxy {
  readonly url: string;
  /** Requests received. */
  readonly requests: number;
  inject(mode: SourceFaultMode, options?: { count?: number }): void;
  /**
   * Runs `change` before forwarding request number `n` (1-based, counted from now): the source's data
   * changes between two requests of one fetch, as a live API's does between two pages.
   */
  beforeRequest(n: number, change: () => void): void;
  clear(): void;
  close(): Promise<void>;
}

/** Starts a fault-injecting proxy in front of a source API at `target`. */
export const startSourceFaultProxy = async (target: string): Promise<SourceFaultProxy> => {
  let armed: ArmedFault<SourceFaultMode> | undefined;
  let requests = 0;
  const changes = new Map<number, () => void>();
  const server = await listenProxy(async (request, response) => {
    const body = await readBody(request);
    requests++;
    changes.get(requests)?.();
    changes.delete(requests);
    const fault = takeFault(armed);
    if (fault === 'reset') return dropConnection(response);
    const answer = await forward(request, body, target);
    if (fault === 'truncate') {
      response.writeHead(answer.status, {
        'content-type': 'application/json',
        'content-length': String(answer.body.length),
      });
      response.write(answer.body.subarray(0, Math.floor(answer.body.length / 2)));
      // Let the half page reach the client before the cut.
      await new Promise((resolve) => setImmediate(resolve));
      return dropConnection(response);
    }
    if (fault === 'truncate-json') {
      return reply(response, {
        ...answer,
        body: answer.body.subarray(0, Math.floor(answer.body.length / 2)),
      });
    }
    reply(response, answer);
  });
  return {
    url: server.url,
    get requests() {
      return requests;
    },
    inject: (mode, options = {}) => {
      armed = { mode, remaining: options.count ?? 1 };
    },
    beforeRequest: (n, change) => {
      changes.set(requests + n, change);
    },
    clear: () => {
      armed = undefined;
      changes.clear();
    },
    close: server.close,
  };
};
