import { createServer } from 'node:http';
import { listen } from '../../shared/listen.js';

/**
 * The demo alert API (`local/demo-source/app.ts`: `GET /alerts?since&until&limit`, `Authorization:
 * Bearer <key>`, 401 otherwise, answering `{"alerts": [...]}` oldest first) serving alerts as JSON text
 * written by the test, so a source can answer what the demo source's own serializer never would: an
 * alert nested 6,000 deep (JSON.stringify throws on it), an impossible date, prototype keys.
 */
export interface HostileAlertSource {
  readonly url: string;
  /** Adds an alert at `at` (epoch ms, its place in the window) whose body is exactly `json`. */
  addRaw(at: number, json: string): void;
  /** Adds a well-formed alert at `at`; returns its id. */
  add(at: number, fields?: Record<string, unknown>): string;
  /** Replaces the body of the alert `id` (the source fixed its data). */
  replace(id: string, json: string): void;
  close(): Promise<void>;
}

/** `{"a":{"a":...}}` nested `depth` levels (the text itself, never built as an object first). */
export const nestedJson = (depth: number): string => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

export const startHostileAlertSource = async (apiKey: string): Promise<HostileAlertSource> => {
  const alerts: { at: number; id?: string; json: string }[] = [];
  let counter = 0;
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/alerts') {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"No route"}');
      return;
    }
    if (request.headers.authorization !== `Bearer ${apiKey}`) {
      response.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' });
      response.end('{"error":"Missing or wrong API key: send Authorization: Bearer <key>."}');
      return;
    }
    const since = Date.parse(url.searchParams.get('since') ?? '');
    const until = Date.parse(url.searchParams.get('until') ?? '') || Date.now();
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const page = alerts
      .filter((alert) => alert.at >= since && alert.at < until)
      .sort((a, b) => a.at - b.at)
      .slice(0, limit);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(`{"alerts":[${page.map((alert) => alert.json).join(',')}]}`);
  });
  const running = await listen(server);
  return {
    url: running.url,
    addRaw: (at, json) => {
      alerts.push({ at, json });
    },
    add: (at, fields = {}) => {
      const id = `H-${String(++counter).padStart(4, '0')}`;
      const alert = {
        id,
        name: `Alert ${id}`,
        severity: 'high',
        created: new Date(at).toISOString(),
        description: 'a good alert',
        ...fields,
      };
      alerts.push({ at, id, json: JSON.stringify(alert) });
      return id;
    },
    replace: (id, json) => {
      const alert = alerts.find((candidate) => candidate.id === id);
      if (!alert) throw new Error(`No alert ${id}`);
      alert.json = json;
    },
    close: running.close,
  };
};
