import { httpjson } from '../../functions/httpjson/connector.js';
import { type BadParams, runConformanceSuite } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import {
  crowdStrikeSource,
  gitHubOrgSource,
  gitHubSource,
  graphSource,
  jiraSource,
  oktaSource,
  pagerDutySource,
  sentinelOneSource,
} from '../helpers/vendors/httpjson-examples.js';

/** Mistakes anyone configuring httpjson could make, whatever the vendor. */
const badParams: BadParams[] = [
  {
    title: 'a URL without a scheme',
    params: { url: 'api.example.com/events' },
    message: "params.url must be the endpoint's absolute http(s) URL",
  },
  {
    title: 'no occurred field',
    params: { fields: { id: 'id', name: 'title' } },
    message: 'params.fields.occurred must be a dot path',
  },
  {
    title: 'an unknown placeholder',
    params: { query_params: { since: '{{begin}}' } },
    message: 'params.query_params.since uses {{begin}}',
  },
  {
    title: 'an unknown pagination',
    params: { pagination: { type: 'pages' } },
    message: 'params.pagination.type must be "none", "page", "offset"',
  },
  {
    title: 'an unknown auth',
    params: { auth: { type: 'oauth' } },
    message: 'params.auth.type must be "bearer", "basic"',
  },
  {
    title: 'a credential in headers',
    params: { headers: { Authorization: 'Bearer abc' } },
    message: 'headers.Authorization is refused',
  },
  {
    title: "a severity that is not XSOAR's",
    params: { severity_map: { high: 'urgent' } },
    message: 'params.severity_map.high must be one of',
  },
];

runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + PagerDuty incidents',
  connector: httpjson,
  startSource: pagerDutySource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + Okta System Log',
  connector: httpjson,
  startSource: oktaSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + GitHub Dependabot (repository)',
  connector: httpjson,
  startSource: gitHubSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + GitHub Dependabot (organization)',
  connector: httpjson,
  startSource: gitHubOrgSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + CrowdStrike Falcon alerts (OAuth2, queries → entities)',
  connector: httpjson,
  startSource: crowdStrikeSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + Microsoft Graph security alerts v2 (OAuth2)',
  connector: httpjson,
  startSource: graphSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + SentinelOne threats',
  connector: httpjson,
  startSource: sentinelOneSource,
  badParams,
});
runConformanceSuite({
  stateStore: kitDynamo,
  name: 'httpjson + Jira issues by JQL',
  connector: httpjson,
  startSource: jiraSource,
  badParams,
});
