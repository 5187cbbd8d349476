import { readFileSync } from 'node:fs';
import { instanceSchema } from '../../../shared/config/schema.js';
import type { ConformanceSource } from '../../../shared/kit/index.js';
import { type CrowdStrikeServer, startCrowdStrike } from './crowdstrike.js';
import { type GitHubServer, startGitHub } from './github.js';
import { type JiraServer, startJira } from './jira.js';
import { type GraphServer, startMicrosoftGraph } from './microsoft-graph.js';
import { type OktaServer, startOkta } from './okta.js';
import { type PagerDutyServer, startPagerDuty } from './pagerduty.js';
import { type SentinelOneServer, startSentinelOne } from './sentinelone.js';
import type { RunningServer, VendorControls } from './vendor-server.js';

/** The example configurations of `examples/httpjson/`, by file name. */
export const EXAMPLES = {
  pagerduty: 'pagerduty-incidents.json',
  okta: 'okta-system-log.json',
  github: 'github-dependabot-alerts.json',
  githubOrg: 'github-dependabot-alerts-org.json',
  crowdstrike: 'crowdstrike-falcon-alerts.json',
  graph: 'microsoft-graph-security-alerts-v2.json',
  sentinelone: 'sentinelone-threats.json',
  jira: 'jira-issues-by-jql.json',
} as const;

/** An example read verbatim, checked against the config file's instance schema. */
export const loadExample = (file: string) =>
  instanceSchema.parse(
    JSON.parse(readFileSync(new URL(`../../../examples/httpjson/${file}`, import.meta.url), 'utf8')),
  );

/** `url` with its origin moved to `serverUrl`'s (path and query kept; a `{{id}}` template survives). */
const moved = (url: string, serverUrl: string): string => {
  const local = new URL(serverUrl);
  return url.replace(/^https?:\/\/[^/]+/, `${local.protocol}//${local.host}`);
};

/**
 * The example's parameters with only the origins moved to local servers: the API's (`url`,
 * `details.url`) to `serverUrl`, an OAuth2 `token_url` to `tokenServerUrl` (the API's by default).
 */
export const localParams = (
  file: string,
  serverUrl: string,
  tokenServerUrl = serverUrl,
): Record<string, unknown> => {
  const { params } = loadExample(file);
  const local: Record<string, unknown> = { ...params, url: moved(params.url as string, serverUrl) };
  const details = params.details as Record<string, unknown> | undefined;
  if (details) local.details = { ...details, url: moved(details.url as string, serverUrl) };
  const auth = params.auth as Record<string, unknown>;
  if (auth.type === 'oauth2')
    local.auth = { ...auth, token_url: moved(auth.token_url as string, tokenServerUrl) };
  return local;
};

const probeOf = (server: VendorControls) => ({
  next: (seconds: number) => server.rateLimitNext(seconds),
  log: () => server.requests,
});

const sourceOf = (
  server: RunningServer & VendorControls & { token: string },
  file: string,
  add: (times: readonly Date[]) => string[],
): ConformanceSource => ({
  params: localParams(file, server.url),
  secrets: { token: server.token },
  wrongSecrets: { token: `${server.token.slice(0, 4)}-revoked-token` },
  add: async (times) => add(times),
  rateLimit: probeOf(server),
  close: () => server.close(),
});

/** A PagerDuty server and the PagerDuty example pointed at it. */
export const pagerDutySource = async (): Promise<ConformanceSource & { server: PagerDutyServer }> => {
  const server = await startPagerDuty();
  return { ...sourceOf(server, EXAMPLES.pagerduty, (times) => times.map((t) => server.add(t).id)), server };
};

/** An Okta server and the Okta example pointed at it. */
export const oktaSource = async (): Promise<ConformanceSource & { server: OktaServer }> => {
  const server = await startOkta();
  return { ...sourceOf(server, EXAMPLES.okta, (times) => times.map((t) => server.add(t).uuid)), server };
};

/** A GitHub server and the repository example pointed at it. */
export const gitHubSource = async (): Promise<ConformanceSource & { server: GitHubServer }> => {
  const server = await startGitHub({ repositories: ['octo-org/octo-repo'] });
  return {
    ...sourceOf(server, EXAMPLES.github, (times) => times.map((t) => String(server.add(t).number))),
    server,
  };
};

/** A GitHub server with two repositories and the organization example pointed at it. */
export const gitHubOrgSource = async (): Promise<ConformanceSource & { server: GitHubServer }> => {
  const server = await startGitHub({ repositories: ['octo-org/octo-repo', 'octo-org/api'] });
  let turn = 0;
  const add = (times: readonly Date[]) =>
    times.map((t) => {
      // Alternate repositories: their alert numbers collide, the configured id keeps them apart.
      const repo = turn++ % 2 === 0 ? 'octo-org/octo-repo' : 'octo-org/api';
      return `${repo}#${server.add(t, { repo }).number}`;
    });
  return { ...sourceOf(server, EXAMPLES.githubOrg, add), server };
};

/** A CrowdStrike server (OAuth2, queries → entities) and the Falcon alerts example pointed at it. */
export const crowdStrikeSource = async (
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<ConformanceSource & { server: CrowdStrikeServer }> => {
  const server = await startCrowdStrike(options);
  return {
    params: localParams(EXAMPLES.crowdstrike, server.url),
    secrets: { client_id: server.clientId, client_secret: server.clientSecret },
    wrongSecrets: { client_id: server.clientId, client_secret: `${server.clientSecret.slice(0, 6)}-rotated` },
    add: async (times) => times.map((t) => server.add(t).composite_id),
    rateLimit: probeOf(server),
    close: () => server.close(),
    server,
  };
};

/** Graph's alerts_v2 and a login.microsoftonline.com stand-in (two origins), the Graph example at them. */
export const graphSource = async (
  options: { tokenLifetimeSeconds?: number } = {},
): Promise<ConformanceSource & { server: GraphServer }> => {
  const server = await startMicrosoftGraph(options);
  const params = localParams(EXAMPLES.graph, server.url, server.login.url);
  const auth = params.auth as { token_url: string };
  return {
    params: {
      ...params,
      auth: { ...auth, token_url: auth.token_url.replace('<tenant-id>', server.tenantId) },
    },
    secrets: { client_id: server.clientId, client_secret: server.clientSecret },
    wrongSecrets: { client_id: server.clientId, client_secret: 'qWg~expired-secret-value' },
    add: async (times) => times.map((t) => server.add(t).id),
    rateLimit: probeOf(server),
    close: () => server.close(),
    server,
  };
};

/** A SentinelOne server and the threats example pointed at it. */
export const sentinelOneSource = async (): Promise<ConformanceSource & { server: SentinelOneServer }> => {
  const server = await startSentinelOne();
  return { ...sourceOf(server, EXAMPLES.sentinelone, (times) => times.map((t) => server.add(t).id)), server };
};

/** A Jira Cloud server (the API user in America/New_York) and the JQL example pointed at it. */
export const jiraSource = async (): Promise<ConformanceSource & { server: JiraServer }> => {
  const server = await startJira();
  return {
    params: localParams(EXAMPLES.jira, server.url),
    secrets: { username: server.email, password: server.apiToken },
    wrongSecrets: { username: server.email, password: 'ATATT3x-revoked' },
    add: async (times) =>
      times.map((t) => {
        const issue = server.add(t);
        return `${issue.key}@${issue.fields.updated}`;
      }),
    rateLimit: probeOf(server),
    close: () => server.close(),
    server,
  };
};
