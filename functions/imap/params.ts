import type { SearchObject } from 'imapflow';
// The namespace import lets esbuild drop zod's locales (about 350 KiB a bundle).
import * as z from 'zod';

/**
 * The search criteria an instance may set: a documented subset of imapflow's `SearchObject`. The
 * connector owns the UID range and the date (`first_fetch`), so `uid`, `seq` and the date keys are
 * not offered; `unseen: true` is the usual phishing-mailbox filter (IMAP `UNSEEN`).
 */
export const imapSearch = z
  .object({
    /** `true`: only messages without \Seen (IMAP UNSEEN); `false`: only with it. */
    unseen: z.boolean().optional(),
    /** `true`: only messages with \Seen; `false`: only without it. */
    seen: z.boolean().optional(),
    flagged: z.boolean().optional(),
    answered: z.boolean().optional(),
    /** Substring matches on the header or body, as the server implements IMAP SEARCH. */
    from: z.string().min(1).optional(),
    to: z.string().min(1).optional(),
    cc: z.string().min(1).optional(),
    subject: z.string().min(1).optional(),
    body: z.string().min(1).optional(),
    text: z.string().min(1).optional(),
    /** Header name → substring it must contain, or `true` for "the header is present". */
    header: z.record(z.string().min(1), z.union([z.string(), z.literal(true)])).optional(),
    /** Size bounds in bytes. */
    larger: z.number().int().min(0).optional(),
    smaller: z.number().int().min(1).optional(),
    /** A custom flag (keyword) the message must have, or must not have. */
    keyword: z.string().min(1).optional(),
    unKeyword: z.string().min(1).optional(),
  })
  .strict()
  .refine((search) => search.unseen === undefined || search.seen === undefined, {
    message: 'set "unseen" or "seen", not both',
  });

export type ImapSearch = z.infer<typeof imapSearch>;

/** The criteria as imapflow takes them (`unseen` is IMAP's UNSEEN, imapflow's `seen: false`). */
export const toSearchObject = ({ unseen, ...rest }: ImapSearch): SearchObject =>
  unseen === undefined ? rest : { ...rest, seen: !unseen };

/** The IMAP connector's own parameters; defaults live here, like an integration's yml. */
export const imapParams = z
  .object({
    host: z.string().min(1, 'must be the IMAP server\'s host name, such as "imap.example.com"'),
    /** @default 993 with `tls`, 143 without */
    port: z.number().int().min(1).max(65_535, 'must be a TCP port (1–65535)').optional(),
    /**
     * `true`: implicit TLS (IMAPS, port 993). `false`: plain IMAP, upgraded with STARTTLS when the
     * server offers it (credentials cross in clear text when it does not). @default true
     */
    tls: z.boolean().default(true),
    /** Accept a certificate that does not verify (self-signed, wrong name). Not secure. @default false */
    insecure: z.boolean().default(false),
    /** The folder to read, with the server's delimiter ("INBOX/Phishing" or "INBOX.Phishing"). @default "INBOX" */
    folder: z.string().min(1).default('INBOX'),
    /** Only messages matching these criteria are fetched. @default {} (every new message) */
    search: imapSearch.default({}),
    /** Flag fetched messages \Seen, once the incidents were accepted. @default false */
    markAsSeen: z.boolean().default(false),
    /**
     * A larger message becomes an incident from its headers alone (no body, no attachment hashes), so
     * one huge message cannot exhaust the function's memory. @default 26214400 (25 MiB)
     */
    maxMessageBytes: z
      .number()
      .int()
      .min(65_536, 'must be at least 65536 bytes')
      .max(100 * 1024 * 1024, 'must be at most 104857600 bytes (100 MiB)')
      .default(25 * 1024 * 1024),
  })
  .strict();

export type ImapParams = z.infer<typeof imapParams>;

/** The port to connect to: the parameter, or the protocol's well-known one. */
export const portOf = (params: ImapParams): number => params.port ?? (params.tls ? 993 : 143);
