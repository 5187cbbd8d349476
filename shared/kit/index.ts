/**
 * The connector kit: a conformance suite every connector runs against its own test source, and the
 * pieces it is built from. See docs/writing-a-connector.md.
 */
export { conformanceChecks } from './conformance-checks.js';
export {
  type BadParams,
  type ConformanceCheck,
  ConformanceChecks,
  type ConformanceSource,
  type ConformanceTarget,
  type KitStateStore,
  type RateLimitProbe,
  type SourceRequest,
} from './conformance-target.js';
export { type CountingSink, createCountingSink, type RecordedBatch } from './counting-sink.js';
export { type KitInstance, kitDocument, kitInstance } from './kit-instance.js';
export { MemoryStateStore } from './memory-state-store.js';
export { type RecordingProxy, type RecordingProxyOptions, startRecordingProxy } from './recording-proxy.js';
export { runConformanceSuite } from './run-conformance-suite.js';
