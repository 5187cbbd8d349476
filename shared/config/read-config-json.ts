import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { parseJsonText } from './parse-json-text.js';

/**
 * The JSON of a config file, or a ConfigError naming the file: unreadable (with `howToChoose`, how to
 * point at another file) or not JSON. Read synchronously: it is small and read at start-up or on change.
 */
export const readConfigJson = (path: string, howToChoose: string): unknown => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      `Cannot read the config file ${path}: ${(error as Error).message}. ${howToChoose}`,
      undefined,
      undefined,
      { cause: error },
    );
  }
  const parsed = parseJsonText(text);
  // No cause: V8's error quotes the text around the mistake, which may be a secret.
  if ('error' in parsed) throw new ConfigError(`${path} is not valid JSON: ${parsed.error}.`);
  return parsed.value;
};
