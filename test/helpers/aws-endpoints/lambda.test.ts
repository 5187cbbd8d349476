import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type AwsEndpoints, startAwsEndpoints } from './server.js';

// @aws-sdk/client-lambda is not a dependency: call Invoke's REST shape with plain fetch.
function invoke(url: string, functionName: string, payload: unknown, invocationType = 'RequestResponse') {
  return fetch(`${url}/2015-03-31/functions/${encodeURIComponent(functionName)}/invocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-amz-invocation-type': invocationType },
    body: JSON.stringify(payload),
  });
}

describe('local Lambda Invoke', () => {
  let aws: AwsEndpoints | undefined;

  beforeEach(async () => {
    aws = await startAwsEndpoints();
  });

  afterEach(async () => {
    await aws?.close();
  });

  it('runs the registered handler and returns its result as the payload', async () => {
    aws!.lambda.register('ferry-demo', async (event: { instanceId: string }, context: Context) => ({
      fetched: event.instanceId,
      name: context.functionName,
      hasTimeLeft: context.getRemainingTimeInMillis() > 0,
    }));

    const response = await invoke(aws!.url, 'ferry-demo', { instanceId: 'demo-1' });

    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBeNull();
    expect(await response.json()).toEqual({ fetched: 'demo-1', name: 'ferry-demo', hasTimeLeft: true });
    expect(aws!.lambda.calls).toMatchObject([
      { functionName: 'ferry-demo', event: { instanceId: 'demo-1' } },
    ]);
  });

  it('accepts a function ARN with a qualifier', async () => {
    aws!.lambda.register('ferry-demo', () => 'ok');

    const response = await invoke(
      aws!.url,
      'arn:aws:lambda:us-east-1:000000000000:function:ferry-demo:live',
      {},
    );

    expect(await response.json()).toBe('ok');
  });

  it('reports a thrown error as an Unhandled function error, like Lambda', async () => {
    aws!.lambda.register('ferry-demo', async () => {
      throw new TypeError('boom');
    });

    const response = await invoke(aws!.url, 'ferry-demo', {});

    expect(response.status).toBe(200);
    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await response.json()).toMatchObject({ errorType: 'TypeError', errorMessage: 'boom' });
  });

  it('times out a handler that runs past its timeout', async () => {
    aws!.lambda.register('slow', () => new Promise((resolve) => setTimeout(resolve, 1_000)), {
      timeoutMs: 20,
    });

    const response = await invoke(aws!.url, 'slow', {});

    expect(response.headers.get('x-amz-function-error')).toBe('Unhandled');
    expect(await response.json()).toMatchObject({ errorType: 'Sandbox.Timedout' });
  });

  it('answers 202 at once to an Event invocation and runs the handler after', async () => {
    let release: () => void = () => {};
    const done = new Promise<void>((resolve) => {
      release = resolve;
    });
    aws!.lambda.register('async', () => done);

    const response = await invoke(aws!.url, 'async', { n: 1 }, 'Event');

    expect(response.status).toBe(202);
    expect(aws!.lambda.calls).toHaveLength(0);
    release();
    await expect.poll(() => aws!.lambda.calls.length).toBe(1);
  });

  it('answers 404 ResourceNotFoundException for an unknown function', async () => {
    const response = await invoke(aws!.url, 'nope', {});

    expect(response.status).toBe(404);
    expect(response.headers.get('x-amzn-errortype')).toBe('ResourceNotFoundException');
  });
});
