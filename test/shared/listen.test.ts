import { Agent, createServer, request } from 'node:http';
import { describe, expect, it } from 'vitest';
import { freePort, listen } from '../../shared/listen.js';

const hello = () =>
  createServer((_, response) => {
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end('hello');
  });

/** One GET over `agent`, the body as text. */
const get = (url: string, agent: Agent) =>
  new Promise<string>((resolve, reject) => {
    request(url, { agent }, (response) => {
      let body = '';
      response.on('data', (chunk) => {
        body += chunk;
      });
      response.on('end', () => resolve(body));
    })
      .on('error', reject)
      .end();
  });

describe('listen', () => {
  it('serves on a free port of 127.0.0.1 and says where', async () => {
    const server = await listen(hello());

    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    expect(server.port).toBeGreaterThan(0);
    expect(await (await fetch(server.url)).text()).toBe('hello');
    await server.close();
  });

  it('closes at once although a client keeps its connection alive, and may be closed twice', async () => {
    const server = await listen(hello());
    const agent = new Agent({ keepAlive: true, keepAliveMsecs: 60_000 });
    await get(server.url, agent);

    await Promise.all([server.close(), server.close()]);

    await expect(fetch(server.url)).rejects.toThrow();
    agent.destroy();
  });

  it('rejects with the listen error when the port is taken', async () => {
    const first = await listen(hello());

    await expect(listen(hello(), { port: first.port })).rejects.toMatchObject({ code: 'EADDRINUSE' });
    await first.close();
  });

  it('listens on the port asked for', async () => {
    const port = await freePort();

    const server = await listen(hello(), { port });

    expect(server.url).toBe(`http://127.0.0.1:${port}`);
    await server.close();
  });
});
