import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';

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
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path} is not valid JSON: ${(error as Error).message}.`, undefined, undefined, {
      cause: error,
    });
  }
};
