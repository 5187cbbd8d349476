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
