import { ImapFlow, type ImapFlowError, type MailboxObject } from 'imapflow';
import type { ConnectorContext } from '../../shared/connector.js';
import {
  ConfigError,
  ConnectorError,
  ErrorCodes,
  errorMessage,
  isFerryError,
  SourceError,
} from '../../shared/errors.js';
import { type ImapParams, portOf } from './params.js';

type Ctx = ConnectorContext<ImapParams>;

/** Connecting (TCP, TLS, greeting) may take this long; the fetch's deadline still aborts sooner. */
const CONNECT_TIMEOUT_MS = 15_000;
/** A server silent for this long mid-command is given up on. */
const SOCKET_TIMEOUT_MS = 60_000;
/** LOGOUT is a courtesy: never wait long for it. */
const LOGOUT_TIMEOUT_MS = 3_000;

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
  'NoConnection',
  'EConnectionClosed',
  'ClosedAfterConnectText',
  'ClosedAfterConnectTLS',
]);
const TIMEOUT_CODES = new Set([
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
  'ETIMEOUT',
  'ETIMEDOUT',
]);

const isTlsFailure = (error: ImapFlowError): boolean =>
  error.tlsFailed === true || /^ERR_(SSL|TLS)_|CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code ?? '');

/**
 * Turns what imapflow throws into a Ferry error that says what to fix. Messages never carry the
 * credentials: only the server's response text and the host.
 */
export const toFerryError = (error: unknown, ctx: Ctx): Error => {
  if (isFerryError(error)) return error;
  // Not from imapflow (no code, no server answer): a bug of ours, re-thrown as it is.
  const fromImap =
    error instanceof Error &&
    ['code', 'responseStatus', 'authenticationFailed', 'mailboxMissing', 'tlsFailed'].some(
      (key) => key in error,
    );
  if (!fromImap)
    return error instanceof Error ? error : new ConnectorError(errorMessage(error), { cause: error });
  const where = `IMAP server ${ctx.params.host}:${portOf(ctx.params)}`;
  const imapError = error as ImapFlowError;
  const code = imapError.code ?? '';
  const serverSaid = imapError.responseText || imapError.serverResponseCode || errorMessage(error);
  if (imapError.authenticationFailed) {
    return new SourceError(
      ErrorCodes.SOURCE_AUTH,
      `${where} refused the login (${serverSaid}): check the instance's "username" and "password" secrets (providers such as Gmail and Microsoft 365 need an app password or OAuth for IMAP).`,
      {},
      { cause: error },
    );
  }
  if (imapError.mailboxMissing) {
    return new ConfigError(
      `Instance "${ctx.instanceId}": the folder "${ctx.params.folder}" does not exist on ${where}. Fix params.folder (subfolders use the server's delimiter, such as "INBOX/Phishing" or "INBOX.Phishing").`,
      ctx.instanceId,
      'params.folder',
      { cause: error },
    );
  }
  if (code === 'ETHROTTLE') {
    const retryAfterMs = imapError.throttleReset;
    return new SourceError(
      ErrorCodes.SOURCE_RATE_LIMITED,
      `${where} throttles this account; the next fetch retries. Lower the fetch interval if it persists.`,
      retryAfterMs === undefined ? {} : { retryAfterMs },
      { cause: error },
    );
  }
  if (isTlsFailure(imapError)) {
    return new SourceError(
      ErrorCodes.SOURCE_UNREACHABLE,
      `TLS with ${where} failed (${errorMessage(error)}). ${
        ctx.params.tls
          ? 'If the port speaks plain IMAP or STARTTLS (usually 143), set params.tls to false; for'
          : 'The server offered STARTTLS; for'
      } a self-signed certificate set params.insecure to true.`,
      {},
      { cause: error },
    );
  }
  if (TIMEOUT_CODES.has(code)) {
    return new SourceError(
      ErrorCodes.SOURCE_TIMEOUT,
      `${where} did not answer in time (${code}): check params.host, params.port and params.tls, and that the server is reachable from the function.`,
      {},
      { cause: error },
    );
  }
  if (NETWORK_CODES.has(code)) {
    return new SourceError(
      ErrorCodes.SOURCE_UNREACHABLE,
      `Cannot reach ${where} (${code}: ${errorMessage(error)}). Check params.host and params.port (and params.tls: 993 speaks TLS, 143 plain IMAP) and that the server is reachable from the function.`,
      {},
      { cause: error },
    );
  }
  return new SourceError(
    ErrorCodes.SOURCE_BAD_RESPONSE,
    `${where} failed ${imapError.command ? `the ${imapError.command} command` : 'a command'}: ${serverSaid}`,
    {},
    { cause: error },
  );
};

const logoutQuietly = async (client: ImapFlow): Promise<void> => {
  if (client.usable) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      client.logout().catch(() => undefined),
      new Promise((resolve) => {
        timer = setTimeout(resolve, LOGOUT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
  }
  client.close();
};

/**
 * Connects, logs in, opens `params.folder` and runs `work`; always logs out and closes, whatever
 * happens. The fetch's AbortSignal (the invocation's deadline) closes the connection at once.
 */
export const withMailbox = async <T>(
  ctx: Ctx,
  options: { readonly readOnly: boolean },
  work: (client: ImapFlow, mailbox: MailboxObject) => Promise<T>,
): Promise<T> => {
  const { params } = ctx;
  const client = new ImapFlow({
    host: params.host,
    port: portOf(params),
    secure: params.tls,
    auth: { user: ctx.secrets.username ?? '', pass: ctx.secrets.password ?? '' },
    // Never log: imapflow's logger would see the protocol, and Ferry's logger has the run's keys.
    logger: false,
    disableAutoIdle: true,
    connectionTimeout: CONNECT_TIMEOUT_MS,
    greetingTimeout: CONNECT_TIMEOUT_MS,
    socketTimeout: SOCKET_TIMEOUT_MS,
    ...(params.insecure ? { tls: { rejectUnauthorized: false } } : {}),
  });
  // imapflow also reports a failed connection as an 'error' event; without a listener it would crash
  // the process. The rejected command carries the same error.
  client.on('error', () => undefined);
  const abort = () => client.close();
  ctx.signal.addEventListener('abort', abort, { once: true });
  try {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    await client.connect();
    const mailbox = await client.mailboxOpen(params.folder, { readOnly: options.readOnly });
    return await work(client, mailbox);
  } catch (error) {
    if (ctx.signal.aborted) throw ctx.signal.reason ?? error;
    throw toFerryError(error, ctx);
  } finally {
    ctx.signal.removeEventListener('abort', abort);
    await logoutQuietly(client);
  }
};
