import { guardduty } from '../../functions/guardduty/connector.js';
import { securityhub } from '../../functions/securityhub/connector.js';
import { runConformanceSuite } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import { guardDutySource, noSecretsReason, securityHubSource } from '../helpers/vendors/aws-sources.js';

runConformanceSuite({
  stateStore: kitDynamo,
  connector: securityhub,
  startSource: () => securityHubSource(),
  // ASFF timestamps keep milliseconds (and more).
  timeStepMs: 1,
  skip: { credentials: noSecretsReason },
  badParams: [
    {
      title: 'a Region that is not one',
      params: { region: 'Frankfurt' },
      message: 'params.region must be an AWS Region',
    },
    {
      title: 'an unknown time field',
      params: { time_field: 'ProcessedAt' },
      message: 'params.time_field must be "CreatedAt" or "UpdatedAt"',
    },
    {
      title: 'a misspelt filter attribute',
      params: { filters: { SeverityLable: [{ Value: 'HIGH', Comparison: 'EQUALS' }] } },
      message: 'params.filters: unknown key "SeverityLable"',
    },
    {
      title: 'a filter on the time field',
      params: { filters: { CreatedAt: [{ DateRange: { Value: 1, Unit: 'DAYS' } }] } },
      message: 'params.filters must not filter on the time_field',
    },
    { title: 'a page over 100', params: { page_size: 500 }, message: 'params.page_size must be at most 100' },
  ],
});

runConformanceSuite({
  stateStore: kitDynamo,
  connector: guardduty,
  startSource: () => guardDutySource(),
  timeStepMs: 1,
  skip: { credentials: noSecretsReason },
  badParams: [
    { title: 'no detector', params: { detector_id: undefined }, message: 'params.detector_id is required' },
    {
      title: 'a detector ARN instead of its id',
      params: { detector_id: 'arn:aws:guardduty:us-east-1:1:detector/x' },
      message: 'params.detector_id must be a detector id',
    },
    {
      title: 'a misspelt condition',
      params: { criteria: { severity: { greaterThanOrEqual: 7 } } },
      message: 'params.criteria.severity: unknown key "greaterThanOrEqual"',
    },
    {
      title: 'criteria on updatedAt',
      params: { criteria: { updatedAt: { GreaterThan: 1 } } },
      message: 'must not hold "updatedAt"',
    },
    { title: 'a page over 50', params: { page_size: 100 }, message: 'params.page_size must be at most 50' },
  ],
});
