/**
 * JSON text of a configuration (a file, an SSM parameter) parsed without ever echoing it: V8's syntax
 * errors quote the text around the mistake (`Unexpected token 's', "{"apiKey": s3cr3t}" is not valid
 * JSON`), and a config holds what should have been a secret reference. The error says where (line and
 * column) and what, never the text. A key written twice is refused. A leading UTF-8 byte order mark (Windows editors write one) is skipped.
 */

import { firstDuplicateKey } from './duplicate-keys.js';

const BOM = '\uFEFF';

/** The reason without V8's quote of the text: `Unexpected character`, `Unterminated string`. */
const reasonOf = (message: string): string => {
  if (/^Unexpected token/.test(message)) return 'Unexpected character';
  // Anything from the first quote on may be the document's text.
  return message.replace(/ in JSON at position \d+.*$/s, '').replace(/[,:]?\s*(\.\.\.)?["'].*$/s, '');
};

/** True when `prefix` could still begin a valid document (it fails only because it ends early). */
const isValidPrefix = (prefix: string): boolean => {
  try {
    JSON.parse(prefix);
    return true;
  } catch (error) {
    const message = (error as Error).message;
    const position = /at position (\d+)/.exec(message);
    if (position) return Number(position[1]) >= prefix.length;
    return /Unexpected end of JSON input|Unterminated string/.test(message);
  }
};

/** The offset of the first character that cannot be part of a valid document (a binary search on prefixes). */
const errorOffset = (text: string, message: string): number => {
  const position = /at position (\d+)/.exec(message);
  if (position) return Number(position[1]);
  let low = 0;
  let high = text.length;
  while (low < high) {
    const middle = Math.ceil((low + high) / 2);
    if (isValidPrefix(text.slice(0, middle))) low = middle;
    else high = middle - 1;
  }
  return low;
};

/** Line and column (both from 1) of an offset. */
const lineAndColumn = (text: string, offset: number) => {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before.at(-1)!.length + 1 };
};

/** The parsed value, or `{ error }`: what is wrong and where, with no text from the document. */
export const parseJsonText = (raw: string): { value: unknown } | { error: string } => {
  const text = raw.startsWith(BOM) ? raw.slice(BOM.length) : raw;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    if (text.trim() === '') return { error: 'it is empty' };
    const { line, column } = lineAndColumn(text, errorOffset(text, message));
    return { error: `${reasonOf(message)} at line ${line}, column ${column}` };
  }
  // Two instances with one id (or a key written twice anywhere): JSON.parse would keep the last silently.
  const duplicate = firstDuplicateKey(text);
  if (duplicate !== undefined) {
    return { error: `"${duplicate}" is written twice (only one would be kept); remove or rename one` };
  }
  return { value };
};
