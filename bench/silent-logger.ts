import { createLogger } from '../shared/logger.js';

/** A logger that writes nothing: the benchmarks measure the work, not the log lines. */
export const silentLogger = createLogger({ level: 'SILENT' });
