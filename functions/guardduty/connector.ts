import {
  type Condition,
  type Finding,
  GetFindingsCommand,
  GuardDutyClient,
  ListFindingsCommand,
  type ListFindingsCommandOutput,
} from '@aws-sdk/client-guardduty';
import { clientCache, regionOf } from '../../shared/aws-params.js';
import { awsSourceError } from '../../shared/aws-source-error.js';
import {
  type ConnectorContext,
  defineConnector,
  type TimeWindow,
  type WindowConnector,
} from '../../shared/connector.js';
import { findingToIncident } from './finding-to-incident.js';
import { type GuardDutyParams, guardDutyParams } from './params.js';

export interface GuardDutyConnectorOptions {
  /** The client of an instance's Region and endpoint. @default one GuardDutyClient per Region, default credentials */
  readonly client?: (params: GuardDutyParams) => GuardDutyClient;
}

const detectorArn = (params: GuardDutyParams) =>
  `arn:aws:guardduty:${regionOf(params) ?? '<region>'}:<account>:detector/${params.detector_id}`;

const updatedMs = (finding: Finding) => Date.parse(finding.UpdatedAt ?? '');

/** The ListFindings criteria of one window: `updatedAt` in epoch ms (Long conditions), then the instance's own. */
const criteriaOf = (params: GuardDutyParams, window: TimeWindow): Record<string, Condition> => ({
  ...(params.criteria as Record<string, Condition>),
  ...(params.include_archived ? {} : { 'service.archived': { Equals: ['false'] } }),
  updatedAt: { GreaterThanOrEqual: window.start.getTime(), LessThan: window.end.getTime() },
});

/**
 * Reads one window: ListFindings pages of ids (oldest update first) chained to GetFindings of each page,
 * until `limit` findings. A finding updated again between the two calls has left the window (it comes
 * back in a later one) and is dropped here.
 */
const readWindow = async (
  client: GuardDutyClient,
  ctx: ConnectorContext<GuardDutyParams>,
  window: TimeWindow,
): Promise<Finding[]> => {
  const { params } = ctx;
  const resource = detectorArn(params);
  const sortCriteria = { AttributeName: 'updatedAt', OrderBy: 'ASC' as const };
  const call = async <T>(action: string, send: () => Promise<T>): Promise<T> => {
    try {
      return await send();
    } catch (error) {
      throw awsSourceError(error, { action, resource });
    }
  };
  const startMs = window.start.getTime();
  const endMs = window.end.getTime();
  const findings: Finding[] = [];
  let nextToken: string | undefined;
  do {
    const listed: ListFindingsCommandOutput = await call('guardduty:ListFindings', () =>
      client.send(
        new ListFindingsCommand({
          DetectorId: params.detector_id,
          FindingCriteria: { Criterion: criteriaOf(params, window) },
          SortCriteria: sortCriteria,
          // The same on every page: a nextToken continues the request it came from.
          MaxResults: Math.min(params.page_size, window.limit),
          NextToken: nextToken,
        }),
        { abortSignal: ctx.signal },
      ),
    );
    const ids = listed.FindingIds ?? [];
    if (ids.length > 0) {
      const got = await call('guardduty:GetFindings', () =>
        client.send(
          new GetFindingsCommand({
            DetectorId: params.detector_id,
            FindingIds: ids,
            SortCriteria: sortCriteria,
          }),
          { abortSignal: ctx.signal },
        ),
      );
      // In listing order whatever order GetFindings answers in; ties keep it.
      const byId = new Map((got.Findings ?? []).map((finding) => [finding.Id, finding]));
      for (const id of ids) {
        const finding = byId.get(id);
        if (!finding) continue; // archived or deleted since it was listed
        const time = updatedMs(finding);
        if (time < startMs || time >= endMs) continue;
        findings.push(finding);
        if (findings.length >= window.limit) return findings;
      }
    }
    // GuardDuty answers an empty nextToken on the last page.
    nextToken = listed.NextToken || undefined;
  } while (nextToken);
  return findings.sort((a, b) => updatedMs(a) - updatedMs(b));
};

/**
 * Builds the Amazon GuardDuty connector: a time-window connector over ListFindings → GetFindings of one
 * detector, signed with the function's own credentials (no secrets).
 */
export const createGuardDutyConnector = (options: GuardDutyConnectorOptions = {}) => {
  const clientFor = options.client ?? clientCache((config) => new GuardDutyClient(config));
  return defineConnector<GuardDutyParams, Finding, WindowConnector<GuardDutyParams, Finding>>({
    name: 'guardduty',
    style: 'window',
    params: guardDutyParams,
    // Pages of up to 50 ids are read by nextToken within one window request.
    maxPageSize: 1000,

    async fetchWindow(ctx, window) {
      return { events: await readWindow(clientFor(ctx.params), ctx, window) };
    },

    toIncident: (finding) => findingToIncident(finding),

    async test(ctx) {
      // One small query proves the Region, the detector, the role's permissions and the criteria.
      await readWindow(clientFor(ctx.params), ctx, {
        start: new Date(ctx.now.getTime() - 60_000),
        end: ctx.now,
        limit: 1,
      });
    },
  });
};

/** The Amazon GuardDuty connector (ListFindings → GetFindings). */
export const guardduty = createGuardDutyConnector();
