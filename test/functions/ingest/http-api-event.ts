import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LambdaEvent } from 'hono/aws-lambda';

/** An API Gateway HTTP API (payload format 2.0, `$default` stage) event. */
export const httpApiEvent = (request: {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: string;
}): LambdaEvent => {
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: '$default',
    rawPath: request.path,
    rawQueryString: request.query ?? '',
    headers: {
      host: 'abc123.execute-api.us-east-1.amazonaws.com',
      ...(request.body === undefined
        ? {}
        : { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(request.body)) }),
      ...request.headers,
    },
    ...(request.query
      ? { queryStringParameters: Object.fromEntries(new URLSearchParams(request.query)) }
      : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: request.method,
        path: request.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'ferry',
      },
      requestId: 'req-1',
      routeKey: '$default',
      stage: '$default',
      time: '01/May/2024:10:00:00 +0000',
      timeEpoch: Date.now(),
    },
    isBase64Encoded: false,
    ...(request.body === undefined ? {} : { body: request.body }),
  };
  return event as unknown as LambdaEvent;
};
