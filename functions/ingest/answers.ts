import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { ErrorCodes } from '../../shared/errors.js';

/** The error codes the endpoint answers with, in `{ error: { code, message } }`. */
export const IngestErrorCodes = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  INVALID_JSON: 'INVALID_JSON',
  INVALID_REQUEST: 'INVALID_REQUEST',
  INCIDENT_INVALID: ErrorCodes.INCIDENT_INVALID,
  INVALID_CURSOR: 'INVALID_CURSOR',
  FORBIDDEN: 'FORBIDDEN',
  /** An incident under a key the instance already has, with a different content (recorded, not stored over). */
  CONFLICT: 'CONFLICT',
  NOT_FOUND: 'NOT_FOUND',
  INTERNAL: 'INTERNAL',
} as const;

export type IngestErrorCode = (typeof IngestErrorCodes)[keyof typeof IngestErrorCodes];

/** The endpoint's error answer: `{ error: { code, message, ...extra } }` with its status. */
export const fail = (
  c: Context,
  status: ContentfulStatusCode,
  code: IngestErrorCode,
  message: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
) => c.json({ error: { code, message, ...extra } }, status, headers);
