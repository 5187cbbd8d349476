import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { configJsonSchemaText } from '../../../shared/config/json-schema.js';

describe('ferry.config.schema.json', () => {
  it('is the schema the code validates with (regenerate with `npm run schema`)', async () => {
    const committed = await readFile(new URL('../../../ferry.config.schema.json', import.meta.url), 'utf8');

    expect(committed).toBe(configJsonSchemaText());
  });
});
