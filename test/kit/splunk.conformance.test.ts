import { splunk } from '../../functions/splunk/connector.js';
import { runConformanceSuite } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import { splunkExampleSource } from '../helpers/vendors/aws-splunk-examples.js';

runConformanceSuite({
  stateStore: kitDynamo,
  name: 'splunk (ES notable events example)',
  connector: splunk,
  startSource: splunkExampleSource,
  // _time keeps milliseconds.
  timeStepMs: 1,
  badParams: [
    {
      title: 'Splunk Web’s URL path instead of splunkd’s',
      params: { url: 'splunk.example.com' },
      message: 'params.url must be the management URL',
    },
    { title: 'an empty search', params: { search: '  ' }, message: 'params.search must be an SPL search' },
    {
      title: 'both an SPL search and a saved search',
      params: { saved_search: 'Endpoint - Malware Detected - Rule' },
      message: 'params.saved_search cannot be set with "search"',
    },
    {
      title: 'an unknown auth scheme',
      params: { auth_scheme: 'Basic' },
      message: 'params.auth_scheme must be "Bearer" or "Splunk"',
    },
  ],
});
