import { type Incident, incidentKey } from '../../shared/incident.js';
import type { IncidentBatch } from '../../shared/sinks/sink.js';

/** An incident as a connector builds it: its id is the dbotMirrorId, the event is the rawJSON. */
export const anIncident = (id: string, overrides: Partial<Incident> = {}): Incident => ({
  name: `Alert ${id}`,
  occurred: '2024-05-01T10:00:00.000Z',
  rawJSON: JSON.stringify({ id, kind: 'alert' }),
  dbotMirrorId: id,
  severity: 2,
  ...overrides,
});

/** What the runner hands a sink: the incidents keyed as the runner keys them. */
export const aBatch = (
  incidents: readonly Incident[],
  { instance = 'soc-demo', connector = 'helloworld', runId = 'run-1' } = {},
): IncidentBatch => ({
  instance,
  connector,
  runId,
  incidents: incidents.map((incident) => ({ key: incidentKey(incident), incident })),
});
