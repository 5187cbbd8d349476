// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

/** True unless `text` parses as a URL with a user name or password. */
const hasNoUserinfo = (text: string): boolean => {
  // Runs on what the URL check refused, too (zod reports every issue): only a parsed URL has userinfo.
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return url === undefined || (url.username === '' && url.password === '');
};

/**
 * A URL Ferry sends requests to — a source's or a sink's: absolute, http(s) only (no `file:`, `ftp:`,
 * `gopher:` — a connector must not read local files or speak other protocols because a parameter said
 * so), and without `user:password@` (a literal credential in config; credentials are secret references).
 * `message` says what the field is and that it is http(s).
 * @example url: httpUrlSchema('must be the alert API\'s absolute http(s) base URL, such as "https://alerts.example.com"')
 */
export const httpUrlSchema = (message: string) =>
  z
    .url({ protocol: /^https?$/, message })
    .refine(
      hasNoUserinfo,
      'must not carry a user name or password ("user:password@"): put credentials in "secrets" as references',
    );
