/**
 * The IMAP connector's last run. UIDs only mean something together with the folder's UIDVALIDITY
 * (RFC 9051 §2.3.1.1): when the server changes it (the folder was re-created, its index rebuilt),
 * every UID of the last run is void.
 */
export interface ImapLastRun {
  /** The folder the cursor belongs to: another `folder` parameter starts afresh. */
  folder?: string;
  /** The folder's UIDVALIDITY, as a decimal string (imapflow reads it as a BigInt). */
  uidValidity?: string;
  /** Every message up to this UID was fetched or did not match. */
  lastUid?: number;
  /**
   * While the backlog of a first fetch (or of a changed UIDVALIDITY) is read, the `first_fetch` date it
   * started from: messages that arrived before it are skipped (ISO-8601).
   */
  since?: string;
  /**
   * UIDs fetched by the last run but not yet flagged \Seen (`markAsSeen`), as an IMAP UID set. They are
   * flagged at the start of the next fetch: this cursor is committed only after the incidents were
   * accepted, so a failed push never leaves a message \Seen (and so skipped by an UNSEEN search).
   */
  markSeen?: string;
}

/** Reads the last run, tolerating anything: a field that does not parse is treated as absent. */
export const parseLastRun = (lastRun: Record<string, unknown>): ImapLastRun => {
  const out: ImapLastRun = {};
  if (typeof lastRun.folder === 'string') out.folder = lastRun.folder;
  if (typeof lastRun.uidValidity === 'string' && /^\d+$/.test(lastRun.uidValidity))
    out.uidValidity = lastRun.uidValidity;
  if (typeof lastRun.lastUid === 'number' && Number.isSafeInteger(lastRun.lastUid) && lastRun.lastUid >= 0)
    out.lastUid = lastRun.lastUid;
  if (typeof lastRun.since === 'string' && !Number.isNaN(Date.parse(lastRun.since)))
    out.since = lastRun.since;
  if (typeof lastRun.markSeen === 'string' && /^\d+(?::\d+)?(?:,\d+(?::\d+)?)*$/.test(lastRun.markSeen))
    out.markSeen = lastRun.markSeen;
  return out;
};

const fieldRules: Record<keyof ImapLastRun, string> = {
  folder: 'a folder name',
  uidValidity: "the folder's UIDVALIDITY as a decimal string",
  lastUid: 'a whole number of 0 or more',
  since: 'an ISO-8601 date',
  markSeen: 'an IMAP UID set such as "1:3,7"',
};

/**
 * What an operator's last run (`ferry last-run --set`) gets wrong: a field {@link parseLastRun} would
 * silently drop (so the next fetch would start over from `first_fetch`), or one it does not know.
 */
export const imapLastRunProblems = (lastRun: Record<string, unknown>): string[] => {
  const parsed = parseLastRun(lastRun) as Record<string, unknown>;
  return Object.keys(lastRun)
    .filter((key) => !(key in parsed))
    .map((key) =>
      key in fieldRules
        ? `"${key}" must be ${fieldRules[key as keyof ImapLastRun]} (got ${JSON.stringify(lastRun[key])}).`
        : `"${key}" is not part of the IMAP cursor (${Object.keys(fieldRules).join(', ')}).`,
    );
};

/** UIDs as a compact IMAP set: `[1, 2, 3, 7, 9, 10]` → `"1:3,7,9:10"`. */
export const toUidSet = (uids: readonly number[]): string => {
  const sorted = [...new Set(uids)].sort((a, b) => a - b);
  const ranges: string[] = [];
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end + 1 < sorted.length && sorted[end + 1] === sorted[end]! + 1) end++;
    ranges.push(start === end ? `${sorted[start]}` : `${sorted[start]}:${sorted[end]}`);
    start = end + 1;
  }
  return ranges.join(',');
};
