import { type Context, Hono } from 'hono';
import {
  advertise,
  isoSeconds,
  listen,
  Quota,
  type RecordedRequest,
  type RunningServer,
  recordRequests,
  type VendorControls,
} from './vendor-server.js';

/**
 * GitHub's REST API for Dependabot alerts, as documented (docs.github.com, "REST API endpoints for
 * Dependabot alerts"; "Using pagination in the REST API"; "Rate limits for the REST API"):
 * - `GET /repos/{owner}/{repo}/dependabot/alerts` and `GET /orgs/{org}/dependabot/alerts` (whose alerts
 *   carry their `repository`); `Authorization: Bearer <token>` (or `token <token>`); a request without a
 *   `User-Agent` is refused; no token: 401 "Requires authentication"; a bad one: 401 "Bad credentials".
 * - `state`, `severity`, `ecosystem`, `package`, `scope`, `sort` (`created`, the default, or
 *   `updated`), `direction` (`desc`, the default, or `asc`), `per_page` (default 30, at most 100),
 *   cursors `before`/`after`. There is no time filter.
 * - Pagination by `Link` headers whose URLs name the repository by id (`/repositories/<id>/...`), with
 *   the cursor in `after`.
 * - Every answer carries `x-ratelimit-limit`, `-remaining`, `-used`, `-reset` (epoch seconds) and
 *   `-resource`; the primary limit spent: 403 "API rate limit exceeded" with remaining 0; a secondary
 *   limit: 429 with `retry-after` (seconds).
 */

export type DependabotSeverity = 'low' | 'medium' | 'high' | 'critical';

export interface DependabotAlert {
  number: number;
  state: 'open' | 'dismissed' | 'fixed' | 'auto_dismissed';
  dependency: {
    package: { ecosystem: string; name: string };
    manifest_path: string;
    scope: 'runtime' | 'development';
    relationship: 'direct' | 'transitive';
  };
  security_advisory: {
    ghsa_id: string;
    cve_id: string | null;
    summary: string;
    description: string;
    severity: DependabotSeverity;
    identifiers: { value: string; type: string }[];
    references: { url: string }[];
    published_at: string;
    updated_at: string;
    withdrawn_at: null;
  };
  security_vulnerability: {
    package: { ecosystem: string; name: string };
    severity: DependabotSeverity;
    vulnerable_version_range: string;
    first_patched_version: { identifier: string } | null;
  };
  url: string;
  html_url: string;
  created_at: string;
  updated_at: string;
  dismissed_at: null;
  dismissed_by: null;
  dismissed_reason: null;
  dismissed_comment: null;
  fixed_at: null;
  auto_dismissed_at: null;
  repository?: { id: number; name: string; full_name: string; private: boolean; html_url: string };
}

export interface GitHubServer extends RunningServer, VendorControls {
  readonly token: string;
  /** Adds an alert to `owner/repo` (default: the first repository) created at `created`. */
  add(
    created: number | Date,
    options?: { repo?: string; fields?: Partial<DependabotAlert> },
  ): DependabotAlert;
}

const RATE_LIMIT = 5000; // requests per hour for a user token
const DOCS = 'https://docs.github.com/rest/dependabot/alerts#list-dependabot-alerts-for-a-repository';
const advisories: {
  summary: string;
  severity: DependabotSeverity;
  pkg: string;
  ghsa: string;
  cve: string;
}[] = [
  {
    summary: 'Prototype pollution in lodash',
    severity: 'high',
    pkg: 'lodash',
    ghsa: 'GHSA-p6mc-m468-83gw',
    cve: 'CVE-2020-8203',
  },
  {
    summary: 'Regular expression denial of service in semver',
    severity: 'medium',
    pkg: 'semver',
    ghsa: 'GHSA-c2qf-rxjj-qqgw',
    cve: 'CVE-2022-25883',
  },
  {
    summary: 'Remote code execution in ejs',
    severity: 'critical',
    pkg: 'ejs',
    ghsa: 'GHSA-phwq-j96m-2c2q',
    cve: 'CVE-2022-29078',
  },
  {
    summary: 'Open redirect in express',
    severity: 'low',
    pkg: 'express',
    ghsa: 'GHSA-rv95-896h-c2vc',
    cve: 'CVE-2024-29041',
  },
];

const ghError = (
  c: Context,
  status: 401 | 403 | 404 | 422 | 429,
  message: string,
  documentation = 'https://docs.github.com/rest',
) => c.json({ message, documentation_url: documentation, status: String(status) }, status);

interface StoredAlert {
  readonly createdMs: number;
  readonly repo: string;
  readonly alert: DependabotAlert;
}

const cursorOf = (entry: StoredAlert) =>
  Buffer.from(`cursor:v2:${JSON.stringify([entry.createdMs, entry.repo, entry.alert.number])}`).toString(
    'base64',
  );
const parseCursor = (text: string): [number, string, number] | undefined => {
  try {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (!decoded.startsWith('cursor:v2:')) return undefined;
    const value = JSON.parse(decoded.slice('cursor:v2:'.length)) as unknown;
    return Array.isArray(value) && value.length === 3 ? (value as [number, string, number]) : undefined;
  } catch {
    return undefined;
  }
};

/** Starts GitHub's Dependabot alerts API on 127.0.0.1, for `repositories` ("owner/name"). */
export const startGitHub = async (
  options: { token?: string; repositories?: readonly string[] } = {},
): Promise<GitHubServer> => {
  const token = options.token ?? 'ghp_16C7e42F292c6912E7710c838347Ae178B4a';
  const repositories = options.repositories ?? ['octo-org/octo-repo'];
  const repoIds = new Map(repositories.map((name, index) => [name, 1296269 + index]));
  const requests: RecordedRequest[] = [];
  const quota = new Quota(RATE_LIMIT, 3_600_000);
  const stored: StoredAlert[] = [];
  const numbers = new Map<string, number>();
  let injected: number | undefined;

  const app = new Hono();
  app.use(recordRequests(requests));
  const list = (c: Context, scope: { repo?: string; org?: string }) => {
    if (!c.req.header('user-agent')) {
      return c.text(
        'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/en/rest/overview/resources-in-the-rest-api#user-agent-required).',
        403,
      );
    }
    const auth = c.req.header('authorization');
    if (!auth) return ghError(c, 401, 'Requires authentication', DOCS);
    if (auth !== `Bearer ${token}` && auth !== `token ${token}`) return ghError(c, 401, 'Bad credentials');
    const now = Date.now();
    const limitHeaders = (remaining: number) => {
      c.header('x-ratelimit-limit', String(RATE_LIMIT));
      c.header('x-ratelimit-remaining', String(remaining));
      c.header('x-ratelimit-used', String(RATE_LIMIT - remaining));
      c.header('x-ratelimit-reset', String(quota.resetEpochSeconds()));
      c.header('x-ratelimit-resource', 'core');
    };
    if (injected !== undefined) {
      const seconds = injected;
      injected = undefined;
      c.header('retry-after', String(seconds));
      advertise(c, seconds * 1000);
      return ghError(
        c,
        429,
        'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits',
      );
    }
    if (!quota.take()) {
      limitHeaders(0);
      advertise(c, quota.resetEpochSeconds() * 1000 - now);
      return ghError(
        c,
        403,
        'API rate limit exceeded for user ID 1.',
        'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-the-primary-rate-limit',
      );
    }
    limitHeaders(quota.remaining);

    const query = c.req.query();
    const sort = query.sort ?? 'created';
    const direction = query.direction ?? 'desc';
    if (!['created', 'updated'].includes(sort) || !['asc', 'desc'].includes(direction)) {
      return ghError(c, 422, 'Validation Failed', DOCS);
    }
    const perPage = Math.min(query.per_page === undefined ? 30 : Number(query.per_page), 100);
    if (!Number.isInteger(perPage) || perPage < 1) return ghError(c, 422, 'Validation Failed', DOCS);
    const after = query.after === undefined ? undefined : parseCursor(query.after);
    if (query.after !== undefined && !after)
      return ghError(c, 422, 'Validation Failed: invalid cursor', DOCS);
    const inList = (value: string | undefined, list: string | undefined) =>
      !list || list.split(',').includes(value ?? '');

    const key = (entry: StoredAlert): [number, string, number] => [
      entry.createdMs,
      entry.repo,
      entry.alert.number,
    ];
    const compare = (a: [number, string, number], b: [number, string, number]) =>
      (a[0] - b[0] || a[1].localeCompare(b[1]) || a[2] - b[2]) * (direction === 'desc' ? -1 : 1);
    const matching = stored
      .filter((entry) => (scope.repo ? entry.repo === scope.repo : entry.repo.startsWith(`${scope.org}/`)))
      .filter(
        ({ alert }) =>
          inList(alert.state, query.state) && inList(alert.security_advisory.severity, query.severity),
      )
      .filter(({ alert }) => inList(alert.dependency.package.ecosystem, query.ecosystem))
      .filter(({ alert }) => inList(alert.dependency.package.name, query.package))
      .filter(({ alert }) => !query.scope || alert.dependency.scope === query.scope)
      .sort((a, b) => compare(key(a), key(b)))
      .filter((entry) => !after || compare(key(entry), after) > 0);
    const page = matching.slice(0, perPage);
    if (matching.length > page.length) {
      // GitHub names the repository by id in its Link URLs.
      const base = scope.repo
        ? `/repositories/${repoIds.get(scope.repo)}/dependabot/alerts`
        : `/organizations/${scope.org}/dependabot/alerts`;
      const next = new URL(base, c.req.url);
      for (const [name, value] of Object.entries(query))
        if (name !== 'after') next.searchParams.set(name, value);
      next.searchParams.set('after', cursorOf(page.at(-1)!));
      c.header('Link', `<${next.toString()}>; rel="next"`);
    }
    return c.json(page.map(({ alert }) => (scope.org ? alert : { ...alert, repository: undefined })));
  };
  const repoOf = (c: Context) => `${c.req.param('owner')}/${c.req.param('repo')}`;
  app.get('/repos/:owner/:repo/dependabot/alerts', (c) =>
    repoIds.has(repoOf(c)) ? list(c, { repo: repoOf(c) }) : ghError(c, 404, 'Not Found', DOCS),
  );
  app.get('/repositories/:id/dependabot/alerts', (c) => {
    const repo = [...repoIds].find(([, id]) => String(id) === c.req.param('id'))?.[0];
    return repo ? list(c, { repo }) : ghError(c, 404, 'Not Found', DOCS);
  });
  app.get('/orgs/:org/dependabot/alerts', (c) => list(c, { org: c.req.param('org') }));
  app.get('/organizations/:org/dependabot/alerts', (c) => list(c, { org: c.req.param('org') }));
  app.notFound((c) => ghError(c, 404, 'Not Found'));

  const server = await listen(app);
  return {
    ...server,
    token,
    requests,
    quota,
    rateLimitNext(seconds) {
      injected = seconds;
    },
    add(created, addOptions = {}) {
      // GitHub keeps these times to the second.
      const createdMs = Math.floor((typeof created === 'number' ? created : created.getTime()) / 1000) * 1000;
      const repo = addOptions.repo ?? repositories[0]!;
      const number = (numbers.get(repo) ?? 0) + 1;
      numbers.set(repo, number);
      const advisory = advisories[(stored.length + number) % advisories.length]!;
      const alert: DependabotAlert = {
        number,
        state: 'open',
        dependency: {
          package: { ecosystem: 'npm', name: advisory.pkg },
          manifest_path: 'package-lock.json',
          scope: 'runtime',
          relationship: 'direct',
        },
        security_advisory: {
          ghsa_id: advisory.ghsa,
          cve_id: advisory.cve,
          summary: advisory.summary,
          description: `${advisory.summary}. Upgrade ${advisory.pkg}.`,
          severity: advisory.severity,
          identifiers: [
            { value: advisory.ghsa, type: 'GHSA' },
            { value: advisory.cve, type: 'CVE' },
          ],
          references: [{ url: `https://nvd.nist.gov/vuln/detail/${advisory.cve}` }],
          published_at: '2024-01-10T00:00:00Z',
          updated_at: '2024-01-10T00:00:00Z',
          withdrawn_at: null,
        },
        security_vulnerability: {
          package: { ecosystem: 'npm', name: advisory.pkg },
          severity: advisory.severity,
          vulnerable_version_range: '< 4.17.19',
          first_patched_version: { identifier: '4.17.19' },
        },
        url: `https://api.github.com/repos/${repo}/dependabot/alerts/${number}`,
        html_url: `https://github.com/${repo}/security/dependabot/${number}`,
        created_at: isoSeconds(createdMs),
        updated_at: isoSeconds(createdMs),
        dismissed_at: null,
        dismissed_by: null,
        dismissed_reason: null,
        dismissed_comment: null,
        fixed_at: null,
        auto_dismissed_at: null,
        repository: {
          id: repoIds.get(repo) ?? 0,
          name: repo.split('/')[1]!,
          full_name: repo,
          private: true,
          html_url: `https://github.com/${repo}`,
        },
        ...addOptions.fields,
      };
      stored.push({ createdMs, repo, alert });
      return alert;
    },
  };
};
