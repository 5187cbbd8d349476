import { writeFile } from 'node:fs/promises';
import { configJsonSchemaText } from '../shared/config/json-schema.js';

// Regenerates ferry.config.schema.json from the zod schema (`npm run schema`).
await writeFile(new URL('../ferry.config.schema.json', import.meta.url), configJsonSchemaText());
console.log('wrote ferry.config.schema.json');
