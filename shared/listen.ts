import type { Server } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';

/** A local HTTP server that listens: the local endpoints, proxies and test servers all are one. */
export interface ListeningServer {
  /** `http://<host>:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and drops open connections (keep-alive or deliberately hung ones would hold it). */
  close(): Promise<void>;
}

export interface ListenOptions {
  /** 0 picks a free port. @default 0 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/**
 * Makes `server` listen and resolves once it does (rejects with the listen error, such as a port in
 * use). `close()` may be called more than once.
 * @example const { url, close } = await listen(createServer(handler));
 */
export const listen = async (server: Server, options: ListenOptions = {}): Promise<ListeningServer> => {
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => {
      closed ??= new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
};

/** A port on 127.0.0.1 that was free a moment ago (for a server that must start on a known port). */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });
