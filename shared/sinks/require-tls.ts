import type { SinkConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import { withoutUserinfo } from '../redact.js';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for 127.0.0.0/8, ::1 and localhost. */
export const isLoopback = (hostname: string): boolean =>
  loopbackHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/**
 * Remote sinks carry incidents and a token: plain http:// is refused unless the host is loopback or
 * the configuration explicitly allows it.
 */
export const requireTls = (rawUrl: string, what: string, allowInsecure = false): URL => {
  // The URL goes into error messages: never with a user:password@ in it.
  const url = withoutUserinfo(rawUrl);
  let parsed: URL;
  try {
    parsed = new URL(rawUrl);
  } catch (error) {
    throw new ConfigError(`${what}: "${url}" is not a valid URL.`, undefined, 'url', { cause: error });
  }
  if (parsed.protocol === 'https:') return parsed;
  if (parsed.protocol !== 'http:')
    throw new ConfigError(`${what}: "${url}" must be an http(s) URL.`, undefined, 'url');
  if (isLoopback(parsed.hostname) || allowInsecure) return parsed;
  throw new ConfigError(
    `${what}: "${url}" uses plain http:// to a remote host, which would send incidents and the token in clear text. ` +
      'Use https://, or set "allowInsecure": true on the sink if the network is trusted.',
    undefined,
    'url',
  );
};

/**
 * The transport rule of a sink's configured URL, as `ferry test` checks it before any fetch: http(s)
 * only, and TLS unless the host is loopback or `allowInsecure` is set. A sink without a URL of its own
 * (the ferry sink on the deployment's endpoint) has nothing to check here.
 */
export const checkSinkTransport = (sink: SinkConfig): void => {
  if (sink.type === 'eventbridge' || sink.url === undefined) return;
  requireTls(sink.url, `sink "${sink.type}"`, sink.allowInsecure);
};
