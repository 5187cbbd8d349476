import type { FetchMessageObject } from 'imapflow';
import { type AddressObject, type EmailAddress, type ParsedMail, simpleParser } from 'mailparser';
import { errorMessage } from '../../shared/errors.js';
import type { Incident } from '../../shared/incident.js';

/** Characters kept of the text and of the HTML body in `rawJSON` (XSOAR parses it; sinks cap incidents). */
export const MAX_BODY_CHARS = 64 * 1024;
/** Characters of the text body in `details`, which XSOAR shows in the incident's summary. */
const MAX_DETAILS_TEXT = 10_000;
const MAX_HEADERS = 300;
const MAX_HEADER_CHARS = 2_000;
/** Attachments listed in `rawJSON`; labels name the first {@link MAX_ATTACHMENT_LABELS}. */
const MAX_ATTACHMENTS = 200;
const MAX_ATTACHMENT_LABELS = 50;
const MAX_NAME_CHARS = 1_000;

/** Where a message lives: with the UID, what identifies it when it has no Message-ID. */
export interface MessageOrigin {
  readonly folder: string;
  readonly uidValidity: string;
}

/** An attachment's metadata: what an analyst and a playbook need, never the content. */
export interface AttachmentInfo {
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  disposition?: string;
  contentId?: string;
}

interface Address {
  name?: string;
  address?: string;
}

const flatten = (entries: EmailAddress[]): Address[] =>
  entries.flatMap((entry) =>
    entry.group
      ? flatten(entry.group)
      : [{ ...(entry.name ? { name: entry.name } : {}), address: entry.address }],
  );

const addressesOf = (header: AddressObject | AddressObject[] | undefined): Address[] =>
  header === undefined
    ? []
    : (Array.isArray(header) ? header : [header]).flatMap((object) => flatten(object.value));

const addressText = (addresses: Address[]): string =>
  addresses
    .map((entry) => entry.address ?? entry.name ?? '')
    .filter(Boolean)
    .join(', ');

const head = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

const toIso = (value: Date | string | undefined): string | undefined => {
  if (value === undefined) return undefined;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
};

const parse = (raw: Buffer): Promise<ParsedMail> =>
  simpleParser(raw, {
    checksumAlgo: 'sha256',
    // Keep the HTML as sent: inlining cid: images as data: URLs would bloat it with their base64.
    keepCidLinks: true,
    skipImageLinks: true,
    skipTextToHtml: true,
    skipTextLinks: true,
    maxHtmlLengthToParse: 2 * 1024 * 1024,
  });

const attachmentsOf = (parsed: ParsedMail | undefined): AttachmentInfo[] =>
  (parsed?.attachments ?? []).map((attachment) => ({
    filename: attachment.filename ?? `(unnamed ${attachment.contentType})`,
    contentType: attachment.contentType,
    size: attachment.size,
    sha256: attachment.checksum,
    ...(attachment.contentDisposition ? { disposition: attachment.contentDisposition } : {}),
    ...(attachment.contentId ? { contentId: attachment.contentId } : {}),
  }));

const headersOf = (parsed: ParsedMail | undefined) =>
  (parsed?.headerLines ?? []).slice(0, MAX_HEADERS).map(({ line }) => {
    const colon = line.indexOf(':');
    return {
      name: line.slice(0, colon).trim(),
      value: head(
        line
          .slice(colon + 1)
          .replace(/\r?\n[ \t]+/g, ' ')
          .trim(),
        MAX_HEADER_CHARS,
      ),
    };
  });

const detailsOf = (text: string | undefined, attachments: AttachmentInfo[], note: string | undefined) => {
  const parts = [note, text?.trim() ? head(text.trim(), MAX_DETAILS_TEXT) : undefined];
  if (attachments.length > 0) {
    parts.push(
      [
        `Attachments (${attachments.length}):`,
        ...attachments
          .slice(0, MAX_ATTACHMENTS)
          .map((a) => `- ${a.filename} (${a.contentType}, ${a.size} bytes) sha256:${a.sha256}`),
      ].join('\n'),
    );
  }
  const details = parts.filter(Boolean).join('\n\n');
  return details === '' ? undefined : details;
};

/**
 * Turns one fetched message into an incident: subject → `name`, Date header → `occurred` (the
 * arrival time when it has none), Message-ID → `dbotMirrorId` (`<uidValidity>:<uid>` without one),
 * sender, recipients and attachments (names, types, sizes, SHA-256) → `details` and `labels`, the
 * parsed message (headers, text and HTML shortened to {@link MAX_BODY_CHARS}, attachment metadata,
 * never their content) → `rawJSON`. A message fetched without its body (`source`, over
 * `maxMessageBytes`) is described from its headers.
 */
export const messageToIncident = async (
  message: Pick<FetchMessageObject, 'uid' | 'size' | 'internalDate' | 'flags' | 'source' | 'headers'>,
  origin: MessageOrigin,
  now: Date,
): Promise<Incident> => {
  const headersOnly = message.source === undefined;
  const raw = message.source ?? Buffer.concat([message.headers ?? Buffer.alloc(0), Buffer.from('\r\n')]);
  let parsed: ParsedMail | undefined;
  let parseError: string | undefined;
  try {
    parsed = await parse(raw);
  } catch (error) {
    // A message the parser cannot read still becomes an incident: skipping it would lose it.
    parseError = errorMessage(error);
  }
  const attachments = attachmentsOf(parsed);
  const from = addressesOf(parsed?.from);
  const to = addressesOf(parsed?.to);
  const cc = addressesOf(parsed?.cc);
  const text = parsed?.text;
  const html = typeof parsed?.html === 'string' ? parsed.html : undefined;
  const truncated = [
    ...(text !== undefined && text.length > MAX_BODY_CHARS ? ['text'] : []),
    ...(html !== undefined && html.length > MAX_BODY_CHARS ? ['html'] : []),
    ...((parsed?.headerLines.length ?? 0) > MAX_HEADERS ? ['headers'] : []),
    ...(attachments.length > MAX_ATTACHMENTS ? ['attachments'] : []),
  ];
  const subject = parsed?.subject?.trim();
  const messageId = parsed?.messageId;
  const note = headersOnly
    ? `The message is ${message.size ?? '?'} bytes, over maxMessageBytes: only its headers were read (no body, no attachment hashes).`
    : parseError && `The message could not be parsed: ${parseError}`;

  const email = {
    folder: origin.folder,
    uidValidity: origin.uidValidity,
    uid: message.uid,
    internalDate: toIso(message.internalDate),
    size: message.size,
    flags: message.flags ? [...message.flags] : [],
    messageId,
    inReplyTo: parsed?.inReplyTo,
    references: parsed?.references,
    subject: parsed?.subject,
    date: toIso(parsed?.date),
    from,
    replyTo: addressesOf(parsed?.replyTo),
    to,
    cc,
    bcc: addressesOf(parsed?.bcc),
    headers: headersOf(parsed),
    text: text === undefined ? undefined : head(text, MAX_BODY_CHARS),
    html: html === undefined ? undefined : head(html, MAX_BODY_CHARS),
    attachments: attachments.slice(0, MAX_ATTACHMENTS),
    ...(truncated.length > 0 ? { truncated } : {}),
    ...(headersOnly ? { headersOnly: true } : {}),
    ...(parseError ? { parseError } : {}),
  };

  const labels: Incident['labels'] = [
    { type: 'Email/ID', value: messageId ?? '' },
    { type: 'Email/subject', value: subject ?? '' },
    { type: 'Email/from', value: addressText(from) },
    { type: 'Email/to', value: addressText(to) },
    { type: 'Email/cc', value: addressText(cc) },
    { type: 'Email/attachments', value: attachments.map((a) => a.filename).join(', ') },
    ...attachments.slice(0, MAX_ATTACHMENT_LABELS).flatMap((a) => [
      { type: 'Email/attachment/name', value: a.filename },
      { type: 'Email/attachment/sha256', value: a.sha256 },
    ]),
  ].filter((label) => label.value !== '');

  const incident: Incident = {
    name: head(subject || '(no subject)', MAX_NAME_CHARS),
    occurred: toIso(parsed?.date) ?? toIso(message.internalDate) ?? now.toISOString(),
    rawJSON: JSON.stringify(email),
    dbotMirrorId: messageId ?? `${origin.uidValidity}:${message.uid}`,
    labels,
  };
  const details = detailsOf(text, attachments, note);
  if (details !== undefined) incident.details = details;
  return incident;
};
