import { fileURLToPath } from 'node:url';

/** The repository root. */
export const projectRoot = fileURLToPath(new URL('..', import.meta.url));
