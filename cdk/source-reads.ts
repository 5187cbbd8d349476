import type { InstanceDocument } from '../shared/config/schema.js';

/**
 * What an AWS-native connector's instance reads at its source, for its function's role: the IAM
 * actions and the one resource they act on (Service Authorization Reference):
 * - Security Hub `GetFindings`: resource type `hub`, `arn:${Partition}:securityhub:${Region}:${Account}:hub/default`;
 * - GuardDuty `ListFindings` and `GetFindings`: resource type `detector`,
 *   `arn:${Partition}:guardduty:${Region}:${Account}:detector/${DetectorId}`.
 * The account is the stack's (the connectors sign with the function's own role); the Region is the
 * instance's `params.region`, else the stack's.
 */
export interface SourceRead {
  /** The statement's Sid: one statement per kind of read, with every resource of that kind. */
  readonly sid: string;
  readonly actions: readonly string[];
  /** `formatArn` components. */
  readonly service: string;
  readonly resource: string;
  readonly resourceName: string;
  /** @default the stack's Region */
  readonly region?: string;
}

type ReadsOf = (params: Readonly<Record<string, unknown>>) => SourceRead[];

const regionOf = (params: Readonly<Record<string, unknown>>) =>
  typeof params.region === 'string' ? { region: params.region } : {};

/** The reads of each AWS-native connector, by connector name. Connectors not listed read nothing in AWS. */
export const sourceReadsByConnector: Readonly<Record<string, ReadsOf>> = {
  securityhub: (params) => [
    {
      sid: 'ReadSecurityHubFindings',
      actions: ['securityhub:GetFindings'],
      service: 'securityhub',
      resource: 'hub',
      resourceName: 'default',
      ...regionOf(params),
    },
  ],
  guardduty: (params) => [
    {
      sid: 'ReadGuardDutyFindings',
      actions: ['guardduty:GetFindings', 'guardduty:ListFindings'],
      service: 'guardduty',
      resource: 'detector',
      resourceName: String(params.detector_id),
      ...regionOf(params),
    },
  ],
};

/** What one instance reads at its source through its function's role. */
export const sourceReadsOf = (document: InstanceDocument): SourceRead[] =>
  sourceReadsByConnector[document.connector]?.(document.params) ?? [];
