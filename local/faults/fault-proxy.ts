import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A proxy on an ephemeral port of 127.0.0.1; `handle` decides, per request, what the client sees. */
export interface ListeningProxy {
  readonly url: string;
  close(): Promise<void>;
}

/** Starts an HTTP server whose every request goes to `handle`; a handler failure drops the connection. */
export const listenProxy = async (
  handle: (request: IncomingMessage, response: ServerResponse) => Promise<void>,
): Promise<ListeningProxy> => {
  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.socket?.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive and deliberately hung connections would hold close() open.
        server.closeAllConnections();
      }),
  };
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
