/**
 * `npm run report:reliability`: after `vitest run test/reliability` has left its results in
 * test/reliability/results/ (ignored), writes them into the tracked RELIABILITY.md. The tests never write
 * the report themselves, so `npm test` leaves the tree as it found it.
 */
import { writeReliabilityReport } from './report.js';

writeReliabilityReport();
console.log('RELIABILITY.md written from test/reliability/results/.');
