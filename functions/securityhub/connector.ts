import {
  type AwsSecurityFinding,
  type AwsSecurityFindingFilters,
  GetFindingsCommand,
  type GetFindingsCommandOutput,
  SecurityHubClient,
} from '@aws-sdk/client-securityhub';
import { clientCache, regionOf } from '../../shared/aws-params.js';
import { awsSourceError } from '../../shared/aws-source-error.js';
import {
  type ConnectorContext,
  defineConnector,
  type TimeWindow,
  type WindowConnector,
} from '../../shared/connector.js';
import { findingToIncident } from './finding-to-incident.js';
import { type SecurityHubParams, securityHubParams } from './params.js';

export interface SecurityHubConnectorOptions {
  /** The client of an instance's Region and endpoint. @default one SecurityHubClient per Region, default credentials */
  readonly client?: (params: SecurityHubParams) => SecurityHubClient;
}

/** The hub GetFindings reads, for messages (IAM authorizes GetFindings on it). */
const hubArn = (params: SecurityHubParams) =>
  `arn:aws:securityhub:${regionOf(params) ?? '<region>'}:<account>:hub/default`;

const timeOf = (finding: AwsSecurityFinding, params: SecurityHubParams): number =>
  Date.parse(String(finding[params.time_field] ?? '').replace(/(\.\d{3})\d+/, '$1'));

/**
 * Reads one window with GetFindings: the time field between the window's ends, the instance's own
 * filters ANDed, oldest first, page after page by NextToken until `limit` findings. Security Hub's
 * DateFilter includes its End; what sits exactly on it belongs to the next window, which starts there.
 */
const readWindow = async (
  client: SecurityHubClient,
  ctx: ConnectorContext<SecurityHubParams>,
  window: TimeWindow,
): Promise<AwsSecurityFinding[]> => {
  const { params } = ctx;
  const endMs = window.end.getTime();
  const request = {
    Filters: {
      ...(params.filters as AwsSecurityFindingFilters),
      [params.time_field]: [{ Start: window.start.toISOString(), End: window.end.toISOString() }],
    },
    SortCriteria: [{ Field: params.time_field, SortOrder: 'asc' as const }],
    // The same on every page: a NextToken continues the request it came from.
    MaxResults: Math.min(params.page_size, window.limit),
  };
  const findings: AwsSecurityFinding[] = [];
  let nextToken: string | undefined;
  do {
    let page: GetFindingsCommandOutput;
    try {
      page = await client.send(new GetFindingsCommand({ ...request, NextToken: nextToken }), {
        abortSignal: ctx.signal,
      });
    } catch (error) {
      throw awsSourceError(error, { action: 'securityhub:GetFindings', resource: hubArn(params) });
    }
    for (const finding of page.Findings ?? []) {
      // Sorted ascending: the first on the End is the last of this window.
      if (timeOf(finding, params) >= endMs) return findings;
      findings.push(finding);
      if (findings.length >= window.limit) return findings;
    }
    nextToken = page.NextToken || undefined;
  } while (nextToken);
  return findings;
};

/**
 * Builds the AWS Security Hub connector: a time-window connector over GetFindings, signed with the
 * function's own credentials (no secrets). The runner owns the cursor, the look-back and dedupe.
 */
export const createSecurityHubConnector = (options: SecurityHubConnectorOptions = {}) => {
  const clientFor = options.client ?? clientCache((config) => new SecurityHubClient(config));
  return defineConnector<
    SecurityHubParams,
    AwsSecurityFinding,
    WindowConnector<SecurityHubParams, AwsSecurityFinding>
  >({
    name: 'securityhub',
    style: 'window',
    params: securityHubParams,
    // Pages of up to 100 are read by NextToken within one window request.
    maxPageSize: 1000,

    async fetchWindow(ctx, window) {
      return { events: await readWindow(clientFor(ctx.params), ctx, window) };
    },

    toIncident: (finding, ctx) => findingToIncident(finding, ctx.params),

    async test(ctx) {
      // One small query proves the Region, the role's permission, a subscribed account and the filters.
      await readWindow(clientFor(ctx.params), ctx, {
        start: new Date(ctx.now.getTime() - 60_000),
        end: ctx.now,
        limit: 1,
      });
    },
  });
};

/** The AWS Security Hub connector (GetFindings, ASFF findings). */
export const securityhub = createSecurityHubConnector();
