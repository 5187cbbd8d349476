import { randomBytes } from 'node:crypto';

/**
 * The access tokens an OAuth2 authorization server issued, as the vendor stand-ins keep them: each
 * with its expiry, so an API can answer 401 to an expired or revoked token the way the vendor does.
 */
export interface IssuedToken {
  readonly token: string;
  readonly issuedAt: number;
  readonly expiresAt: number;
}

export class TokenIssuer {
  readonly issued: IssuedToken[] = [];
  readonly #revoked = new Set<string>();

  constructor(
    /** The lifetime the server states in `expires_in`, in seconds. */
    public lifetimeSeconds: number,
    private readonly prefix: string,
  ) {}

  /** Issues a fresh token valid for `lifetimeSeconds`. */
  issue(): IssuedToken {
    const issuedAt = Date.now();
    const token: IssuedToken = {
      token: `${this.prefix}${randomBytes(24).toString('base64url')}`,
      issuedAt,
      expiresAt: issuedAt + this.lifetimeSeconds * 1000,
    };
    this.issued.push(token);
    return token;
  }

  /** `valid`, `expired` (or revoked), or `unknown` for a token never issued. */
  check(token: string | undefined): 'valid' | 'expired' | 'unknown' {
    const found = this.issued.find((issued) => issued.token === token);
    if (!found) return 'unknown';
    return this.#revoked.has(found.token) || Date.now() >= found.expiresAt ? 'expired' : 'valid';
  }

  /** Revokes every token issued so far (a rotated key, an admin's "revoke sessions"). */
  revokeAll(): void {
    for (const issued of this.issued) this.#revoked.add(issued.token);
  }
}

/** The bearer token of an `Authorization` header, if it is one. */
export const bearerOf = (header: string | undefined): string | undefined =>
  /^Bearer (\S+)$/i.exec(header ?? '')?.[1];

/** The client id and secret of a `client_secret_basic` header (RFC 6749 §2.3.1: form-encoded, then Basic). */
export const basicClientOf = (header: string | undefined): { id: string; secret: string } | undefined => {
  const match = /^Basic (\S+)$/i.exec(header ?? '');
  if (!match) return undefined;
  const pair = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = pair.indexOf(':');
  if (colon === -1) return undefined;
  const decode = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
  return { id: decode(pair.slice(0, colon)), secret: decode(pair.slice(colon + 1)) };
};
