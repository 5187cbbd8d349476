import type { SecretRef, SinkConfig } from '../config/schema.js';

/**
 * Every secret reference of a sink's configuration, by its field path (`token`, `apiKey`, `apiKeyId`,
 * `credentials.username`, `credentials.password`). The factory resolves them; a deploy tool lists the
 * SecureStrings a function must read from them.
 * @example sinkSecretRefs(document.sink) // { apiKey: { ssm: '/ferry/xsoar/api-key' } }
 */
export const sinkSecretRefs = (sink: SinkConfig): Record<string, SecretRef> => {
  switch (sink.type) {
    case 'ferry':
      return sink.token ? { token: sink.token } : {};
    case 'xsoar':
      return {
        ...(sink.apiKey ? { apiKey: sink.apiKey } : {}),
        ...(sink.apiKeyId ? { apiKeyId: sink.apiKeyId } : {}),
        ...(sink.credentials
          ? {
              'credentials.username': sink.credentials.username,
              'credentials.password': sink.credentials.password,
            }
          : {}),
      };
    case 'eventbridge':
      return {};
  }
};
