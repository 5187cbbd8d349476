import { describe, expect, it } from 'vitest';
import { parseLastRun, toUidSet } from '../../../functions/imap/cursor.js';

describe("the IMAP connector's cursor", () => {
  it('writes UIDs as a compact IMAP set', () => {
    expect(toUidSet([9, 1, 2, 3, 7, 10, 3])).toBe('1:3,7,9:10');
    expect(toUidSet([42])).toBe('42');
  });

  it('reads a last run it wrote, and treats a field that does not parse as absent', () => {
    const written = { folder: 'INBOX', uidValidity: '1795908505', lastUid: 12, markSeen: '3:5,9' };

    expect(parseLastRun(written)).toEqual(written);
    expect(
      parseLastRun({ folder: 7, uidValidity: 'x', lastUid: -1, since: 'soon', markSeen: '1;2' }),
    ).toEqual({});
  });
});
