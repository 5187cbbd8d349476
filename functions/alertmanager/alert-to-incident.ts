import { buildIncident, type Incident, Severity } from '../../shared/incident.js';
import type { GettableAlert } from './alertmanager-api.js';
import { episodeKey } from './episodes.js';

/**
 * The `severity` label's usual values on XSOAR's scale. Prometheus rules have no fixed vocabulary;
 * these are the words the community mixins and most rule sets use. Anything else is "unknown" (0).
 */
const SEVERITY_BY_LABEL: Readonly<Record<string, number>> = {
  critical: Severity.critical,
  high: Severity.high,
  error: Severity.high,
  warning: Severity.medium,
  warn: Severity.medium,
  medium: Severity.medium,
  low: Severity.low,
  info: Severity.info,
  informational: Severity.info,
};

/** XSOAR's severity for an alert's `severity` label (case-insensitive). */
export const severityOf = (label: string | undefined): number =>
  (label !== undefined && Object.hasOwn(SEVERITY_BY_LABEL, label.trim().toLowerCase())
    ? SEVERITY_BY_LABEL[label.trim().toLowerCase()]
    : undefined) ?? Severity.unknown;

/** `summary` then `description` are the conventional annotations; the rest follow as `key: value`. */
const detailsOf = (annotations: Record<string, string> | undefined): string | undefined => {
  if (!annotations) return undefined;
  const { summary: _summary, description, ...rest } = annotations;
  const lines = Object.entries(rest)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, value]) => `${key}: ${value}`);
  const text = [description, lines.join('\n')]
    .filter((part) => part !== undefined && part !== '')
    .join('\n\n');
  return text === '' ? undefined : text;
};

const nameOf = (alert: GettableAlert): string => {
  const alertname = alert.labels.alertname?.trim() || `Alert ${alert.fingerprint}`;
  const summary = alert.annotations?.summary?.trim();
  return summary ? `${alertname}: ${summary}` : alertname;
};

/**
 * One firing episode of an alert as an XSOAR incident. `dbotMirrorId` is `<fingerprint>:<startsAt>`
 * for every episode, the first included: the cursor forgets resolved alerts, so "first" cannot be
 * known later, and a re-fire must never share an id with an earlier episode the endpoint already holds.
 */
export const alertToIncident = (alert: GettableAlert): Incident =>
  buildIncident(alert, {
    name: nameOf,
    occurred: (a) => new Date(Date.parse(a.startsAt)),
    id: (a) => episodeKey(a.fingerprint, Date.parse(a.startsAt)),
    details: (a) => detailsOf(a.annotations),
    severity: (a) => severityOf(a.labels.severity),
    type: 'Prometheus Alert',
    labels: (a) => a.labels,
  });
