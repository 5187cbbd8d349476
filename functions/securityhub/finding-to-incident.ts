import type { AwsSecurityFinding } from '@aws-sdk/client-securityhub';
import { buildIncident, type Incident, Severity } from '../../shared/incident.js';
import type { SecurityHubParams } from './params.js';

const byLabel: Record<string, number> = {
  INFORMATIONAL: Severity.info,
  LOW: Severity.low,
  MEDIUM: Severity.medium,
  HIGH: Severity.high,
  CRITICAL: Severity.critical,
};

/**
 * XSOAR's 0–4 severity of a finding: its `Severity.Label`, else its `Normalized` score by the ranges the
 * ASFF documents for the labels (0 informational, 1–39 low, 40–69 medium, 70–89 high, 90–100 critical).
 */
export const findingSeverity = (severity: AwsSecurityFinding['Severity']): number => {
  const label = severity?.Label;
  if (label && Object.hasOwn(byLabel, label)) return byLabel[label]!;
  const normalized = severity?.Normalized;
  if (typeof normalized !== 'number') return Severity.unknown;
  if (normalized >= 90) return Severity.critical;
  if (normalized >= 70) return Severity.high;
  if (normalized >= 40) return Severity.medium;
  if (normalized >= 1) return Severity.low;
  return Severity.info;
};

/**
 * An ASFF finding as an incident: its title, its `time_field` as `occurred` (what the window follows),
 * its Id as `dbotMirrorId` (what XSOAR mirrors by), the finding itself as `rawJSON`.
 */
export const findingToIncident = (finding: AwsSecurityFinding, params: SecurityHubParams): Incident =>
  buildIncident(finding, {
    name: (f) => f.Title ?? f.Id ?? 'Security Hub finding',
    occurred: (f) => f[params.time_field] ?? '',
    id: (f) => f.Id ?? '',
    details: (f) => f.Description,
    severity: (f) => findingSeverity(f.Severity),
    type: 'AWS Security Hub Finding',
    labels: (f) => ({
      account: f.AwsAccountId,
      region: f.Region,
      product: f.ProductName,
      generator_id: f.GeneratorId,
      finding_type: f.Types?.[0],
      resource_type: f.Resources?.[0]?.Type,
      resource_id: f.Resources?.[0]?.Id,
      severity_label: f.Severity?.Label,
      workflow_status: f.Workflow?.Status,
      record_state: f.RecordState,
      compliance_status: f.Compliance?.Status,
      created_at: f.CreatedAt,
      updated_at: f.UpdatedAt,
      product_arn: f.ProductArn,
    }),
  });
