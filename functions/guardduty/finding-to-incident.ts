import type { Finding } from '@aws-sdk/client-guardduty';
import { buildIncident, type Incident, Severity } from '../../shared/incident.js';

/**
 * XSOAR's 0–4 severity of a GuardDuty score, by GuardDuty's documented levels ("Severity levels of
 * GuardDuty findings"): 1.0–3.9 low, 4.0–6.9 medium, 7.0–8.9 high, 9.0–10.0 critical.
 */
export const guardDutySeverity = (score: number | undefined): number => {
  if (typeof score !== 'number' || Number.isNaN(score)) return Severity.unknown;
  if (score >= 9) return Severity.critical;
  if (score >= 7) return Severity.high;
  if (score >= 4) return Severity.medium;
  return Severity.low;
};

/**
 * A GuardDuty finding as an incident: its title, its `UpdatedAt` as `occurred` (what the window
 * follows; `CreatedAt` is a label), its Id as `dbotMirrorId`, the finding itself as `rawJSON`.
 */
export const findingToIncident = (finding: Finding): Incident =>
  buildIncident(finding, {
    name: (f) => f.Title ?? f.Type ?? 'GuardDuty finding',
    occurred: (f) => f.UpdatedAt ?? '',
    id: (f) => f.Id ?? '',
    details: (f) => f.Description,
    severity: (f) => guardDutySeverity(f.Severity),
    type: 'AWS GuardDuty Finding',
    labels: (f) => ({
      account: f.AccountId,
      region: f.Region,
      finding_type: f.Type,
      severity_score: f.Severity,
      resource_type: f.Resource?.ResourceType,
      instance_id: f.Resource?.InstanceDetails?.InstanceId,
      detector_id: f.Service?.DetectorId,
      archived: f.Service?.Archived,
      count: f.Service?.Count,
      created_at: f.CreatedAt,
      arn: f.Arn,
    }),
  });
