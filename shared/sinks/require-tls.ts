import { ConfigError } from '../errors.js';

const loopbackHosts = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for 127.0.0.0/8, ::1 and localhost. */
export const isLoopback = (hostname: string): boolean =>
  loopbackHosts.has(hostname) || /^127\.\d+\.\d+\.\d+$/.test(hostname);

/**
 * Remote sinks carry incidents and a token: plain http:// is refused unless the host is loopback or
 * the configuration explicitly allows it.
 */
export const requireTls = (url: string, what: string, allowInsecure = false): URL => {
  let parsed: URL;
  try {
    parsed = new URL(url);
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
