import { readFileSync } from 'node:fs';
import { instanceSchema } from '../../../shared/config/schema.js';
import type { ConformanceSource } from '../../../shared/kit/index.js';
import { type GitHubServer, startGitHub } from './github.js';
import { type OktaServer, startOkta } from './okta.js';
import { type PagerDutyServer, startPagerDuty } from './pagerduty.js';
import type { RunningServer, VendorControls } from './vendor-server.js';

/** The example configurations of `examples/httpjson/`, by file name. */
export const EXAMPLES = {
  pagerduty: 'pagerduty-incidents.json',
  okta: 'okta-system-log.json',
  github: 'github-dependabot-alerts.json',
  githubOrg: 'github-dependabot-alerts-org.json',
} as const;

/** An example read verbatim, checked against the config file's instance schema. */
export const loadExample = (file: string) =>
  instanceSchema.parse(
    JSON.parse(readFileSync(new URL(`../../../examples/httpjson/${file}`, import.meta.url), 'utf8')),
  );

/** The example's parameters with only the URL's origin moved to a local server (path and query kept). */
export const localParams = (file: string, serverUrl: string): Record<string, unknown> => {
  const { params } = loadExample(file);
  const url = new URL(params.url as string);
  const local = new URL(serverUrl);
  url.protocol = local.protocol;
  url.host = local.host;
  return { ...params, url: url.toString() };
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
