import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type ListeningServer, listen } from '../../../shared/listen.js';

/** A proxy on an ephemeral port of 127.0.0.1; `handle` decides, per request, what the client sees. */
export type ListeningProxy = Pick<ListeningServer, 'url' | 'close'>;

/** Starts an HTTP server whose every request goes to `handle`; a handler failure drops the connection. */
export const listenProxy = async (
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<ListeningProxy> => {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.socket?.destroy());
  });
  const { url, close } = await listen(server);
  return { url, close };
};

/** A fault armed for the next `remaining` matching requests (Infinity: until disarmed). */
export interface ArmedFault<M extends string> {
  mode: M;
  remaining: number;
}

/** Takes one use of the armed fault, if any; returns its mode. */
export const takeFault = <M extends string>(armed: ArmedFault<M> | undefined): M | undefined => {
  if (!armed || armed.remaining <= 0) return undefined;
  armed.remaining--;
  return armed.mode;
};
