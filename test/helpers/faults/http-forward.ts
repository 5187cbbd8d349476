import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { buffer } from 'node:stream/consumers';

/** The whole body of an incoming request. */
export const readBody = (request: IncomingMessage): Promise<Buffer> => buffer(request);

/** What the target answered to one forwarded request. */
export interface ForwardedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Buffer;
}

/** Sends `body` to `target` with the request's method, path and headers; resolves with the full answer. */
export const forward = (request: IncomingMessage, body: Buffer, target: string): Promise<ForwardedAnswer> =>
  new Promise((resolve, reject) => {
    const url = new URL(request.url ?? '/', target);
    const outgoing = httpRequest(
      url,
      { method: request.method, headers: { ...request.headers, host: url.host, connection: 'close' } },
      (answer) => {
        readBody(answer)
          .then((answerBody) =>
            resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: answerBody }),
          )
          .catch(reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(body);
  });

/** Writes a forwarded answer back unchanged (but for hop-by-hop headers). */
export const reply = (response: ServerResponse, answer: ForwardedAnswer): void => {
  const { connection: _connection, 'transfer-encoding': _encoding, ...headers } = answer.headers;
  response.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
  response.end(answer.body);
};

/** Cuts the client's connection without an answer: what a crashed peer or a reset looks like. */
export const dropConnection = (response: ServerResponse): void => {
  response.socket?.destroy();
};
