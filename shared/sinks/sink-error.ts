import { isFerryError, SinkError, SourceError } from '../errors.js';

/** What an HTTP sink tells the user to check, per kind of failure. */
export interface SinkErrorHints {
  /** 401/403: the credentials. */
  readonly auth: string;
  /** 403 when it means the key's role lacks a permission, not a wrong key. @default `auth` */
  readonly forbidden?: string;
  /** 402: the product's licence. @default `rejected` */
  readonly unlicensed?: string;
  /** 404: the URL. @default `rejected` */
  readonly notFound?: string;
  /** Any other 4xx: the request. */
  readonly rejected: string;
  /** 429, 5xx, timeouts, network: nothing to fix, the next fetch retries. */
  readonly unavailable: string;
}

/**
 * Turns what the HTTP client threw into a SinkError: 429/5xx/timeouts/network are `retryable`, other
 * 4xx are not (a wrong token or URL does not heal by itself). A SinkError passes through unchanged.
 */
export const toSinkError = (error: unknown, target: string, hints: SinkErrorHints): SinkError => {
  if (error instanceof SinkError) return error;
  if (error instanceof SourceError) {
    const status = error.details.status;
    const rejected = status !== undefined && status < 500 && status !== 429;
    const hint =
      status === 401
        ? hints.auth
        : status === 403
          ? (hints.forbidden ?? hints.auth)
          : status === 402
            ? (hints.unlicensed ?? hints.rejected)
            : status === 404
              ? (hints.notFound ?? hints.rejected)
              : rejected
                ? hints.rejected
                : hints.unavailable;
    // The source's own advice ("check the instance's credentials") does not apply to a sink: only
    // what the server answered goes beside the sink's hint.
    return new SinkError(
      `Push to ${target} failed: ${hint}. (${error.details.answer ?? error.message})`,
      { status, retryable: !rejected },
      { cause: error },
    );
  }
  if (isFerryError(error)) return new SinkError(error.message, { retryable: true }, { cause: error });
  return new SinkError(
    `Push to ${target} failed: ${(error as Error)?.message ?? String(error)}`,
    { retryable: true },
    { cause: error },
  );
};
