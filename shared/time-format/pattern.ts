import { ConfigError } from '../errors.js';
import { instantOf, type WallTime, wallAsUtc, wallTimeOf } from './zone.js';

/**
 * Date-time patterns in the letters of Java's DateTimeFormatter, which vendor documentation uses
 * (Jira: `yyyy-MM-dd HH:mm`): `yyyy MM dd HH mm ss SSS`, `MMM` (Jan), `EEE` (Mon), `XXX` (`Z` or
 * `+01:00`), `Z` (`+0100`); text in single quotes is literal (`'T'`), as are `- : / . , space`.
 */

type Token =
  | { readonly kind: 'field'; readonly letters: string }
  | { readonly kind: 'literal'; readonly text: string };

interface FieldSpec {
  readonly regex: string;
  /** Milliseconds of the unit, for rounding a window edge to what the pattern can say. */
  readonly unitMs: number;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const FIELDS: Readonly<Record<string, FieldSpec>> = {
  yyyy: { regex: '(\\d{4})', unitMs: 366 * 86_400_000 },
  MM: { regex: '(\\d{2})', unitMs: 31 * 86_400_000 },
  MMM: { regex: `(${MONTHS.join('|')})`, unitMs: 31 * 86_400_000 },
  dd: { regex: '(\\d{2})', unitMs: 86_400_000 },
  EEE: { regex: `(?:${DAYS.join('|')})`, unitMs: 86_400_000 },
  HH: { regex: '(\\d{2})', unitMs: 3_600_000 },
  mm: { regex: '(\\d{2})', unitMs: 60_000 },
  ss: { regex: '(\\d{2})', unitMs: 1_000 },
  SSS: { regex: '(\\d{3})', unitMs: 1 },
  XXX: { regex: '(Z|[+-]\\d{2}:\\d{2})', unitMs: Number.POSITIVE_INFINITY },
  Z: { regex: '([+-]\\d{4})', unitMs: Number.POSITIVE_INFINITY },
};

const LITERAL = /[-:/., ]/;

/** Splits a pattern into fields and literals; a message naming the mistake when it is not one. */
const tokenize = (pattern: string): Token[] | string => {
  const tokens: Token[] = [];
  let at = 0;
  while (at < pattern.length) {
    const char = pattern[at]!;
    if (char === "'") {
      const close = pattern.indexOf("'", at + 1);
      if (close === -1) return `has an unclosed quote at position ${at + 1}`;
      tokens.push({ kind: 'literal', text: close === at + 1 ? "'" : pattern.slice(at + 1, close) });
      at = close + 1;
    } else if (/[A-Za-z]/.test(char)) {
      let end = at;
      while (pattern[end] === char) end++;
      const letters = pattern.slice(at, end);
      if (!FIELDS[letters]) {
        return `has "${letters}", which is not a field: use yyyy, MM, MMM, dd, EEE, HH, mm, ss, SSS, XXX or Z, and quote literal text ('T')`;
      }
      tokens.push({ kind: 'field', letters });
      at = end;
    } else if (LITERAL.test(char)) {
      tokens.push({ kind: 'literal', text: char });
      at++;
    } else {
      return `has "${char}" at position ${at + 1}: quote literal text, as in 'T'`;
    }
  }
  const letters = tokens.flatMap((token) => (token.kind === 'field' ? [token.letters] : []));
  if (new Set(letters).size !== letters.length) return 'repeats a field';
  if (!letters.includes('yyyy')) return 'has no year (yyyy)';
  if (!letters.includes('MM') && !letters.includes('MMM')) return 'has no month (MM)';
  if (!letters.includes('dd')) return 'has no day (dd)';
  for (const [finer, coarser] of [
    ['mm', 'HH'],
    ['ss', 'mm'],
    ['SSS', 'ss'],
  ] as const) {
    if (letters.includes(finer) && !letters.includes(coarser)) return `has ${finer} without ${coarser}`;
  }
  return tokens;
};

/** What is wrong with a pattern, or `undefined` when it is one. */
export const patternProblem = (pattern: string): string | undefined => {
  const tokens = tokenize(pattern);
  return typeof tokens === 'string' ? tokens : undefined;
};

const pad = (value: number, width: number) => String(value).padStart(width, '0');

const offsetText = (offsetMs: number, colon: boolean, zulu: boolean): string => {
  if (offsetMs === 0 && zulu) return 'Z';
  const minutes = Math.round(Math.abs(offsetMs) / 60_000);
  const sign = offsetMs < 0 ? '-' : '+';
  return `${sign}${pad(Math.floor(minutes / 60), 2)}${colon ? ':' : ''}${pad(minutes % 60, 2)}`;
};

/** A compiled pattern: writes an instant in a zone, reads text back, and knows its precision. */
export interface CompiledPattern {
  /** The smallest unit the pattern writes (60 000 for `HH:mm`). */
  readonly unitMs: number;
  format(ms: number, zone: string): string;
  /** The instant `text` stands for; `undefined` when it does not match or names no real date. */
  parse(text: string, zone: string): number | undefined;
  /** Truncates `ms` to what the pattern writes, in the zone's wall clock. */
  truncate(ms: number, zone: string): number;
}

/** Compiles a pattern; throws with the problem when it is not one (check with {@link patternProblem}). */
export const compilePattern = (pattern: string): CompiledPattern => {
  const tokens = tokenize(pattern);
  if (typeof tokens === 'string') throw new ConfigError(`The time pattern "${pattern}" ${tokens}.`);
  const fields = tokens.flatMap((token) => (token.kind === 'field' ? [token.letters] : []));
  const unitMs = Math.min(...fields.map((letters) => FIELDS[letters]!.unitMs));
  const hasOffset = fields.includes('XXX') || fields.includes('Z');
  const captured = fields.filter((letters) => letters !== 'EEE');
  const regex = new RegExp(
    `^${tokens
      .map((token) =>
        token.kind === 'field'
          ? FIELDS[token.letters]!.regex
          : token.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
      )
      .join('')}$`,
  );
  const has = (letters: string) => fields.includes(letters);
  const truncateWall = (wall: WallTime): WallTime => ({
    year: wall.year,
    month: wall.month,
    day: wall.day,
    hour: has('HH') ? wall.hour : 0,
    minute: has('mm') ? wall.minute : 0,
    second: has('ss') ? wall.second : 0,
    ms: has('SSS') ? wall.ms : 0,
  });
  // An offset in the text is written for the zone's own offset; without a zone in the pattern the
  // configured zone is implied.
  return {
    unitMs,
    format(ms, zone) {
      const wall = wallTimeOf(ms, zone);
      const offset = wallAsUtc(wall) - ms;
      return tokens
        .map((token) => {
          if (token.kind === 'literal') return token.text;
          switch (token.letters) {
            case 'yyyy':
              return pad(wall.year, 4);
            case 'MM':
              return pad(wall.month, 2);
            case 'MMM':
              return MONTHS[wall.month - 1]!;
            case 'dd':
              return pad(wall.day, 2);
            case 'EEE':
              return DAYS[new Date(Date.UTC(wall.year, wall.month - 1, wall.day)).getUTCDay()]!;
            case 'HH':
              return pad(wall.hour, 2);
            case 'mm':
              return pad(wall.minute, 2);
            case 'ss':
              return pad(wall.second, 2);
            case 'SSS':
              return pad(wall.ms, 3);
            case 'XXX':
              return offsetText(offset, true, true);
            default:
              return offsetText(offset, false, false);
          }
        })
        .join('');
    },
    parse(text, zone) {
      const match = regex.exec(text.trim());
      if (!match) return undefined;
      const values: Record<string, string> = {};
      captured.forEach((letters, index) => {
        values[letters] = match[index + 1]!;
      });
      const wall: WallTime = {
        year: Number(values.yyyy),
        month: values.MMM !== undefined ? MONTHS.indexOf(values.MMM) + 1 : Number(values.MM),
        day: Number(values.dd),
        hour: Number(values.HH ?? 0),
        minute: Number(values.mm ?? 0),
        second: Number(values.ss ?? 0),
        ms: Number(values.SSS ?? 0),
      };
      const asUtc = wallAsUtc(wall);
      const check = new Date(asUtc);
      // Refuse what Date would roll over: 2026-02-30, 24:00, 12:60.
      if (
        check.getUTCFullYear() !== wall.year ||
        check.getUTCMonth() + 1 !== wall.month ||
        check.getUTCDate() !== wall.day ||
        wall.hour > 23 ||
        wall.minute > 59 ||
        wall.second > 59
      ) {
        return undefined;
      }
      if (!hasOffset) return instantOf(wall, zone);
      const offset = values.XXX ?? values.Z!;
      if (offset === 'Z') return asUtc;
      const digits = offset.replace(':', '');
      const minutes = Number(digits.slice(1, 3)) * 60 + Number(digits.slice(3, 5));
      return asUtc - (offset.startsWith('-') ? -1 : 1) * minutes * 60_000;
    },
    truncate(ms, zone) {
      return instantOf(truncateWall(wallTimeOf(ms, zone)), zone);
    },
  };
};
