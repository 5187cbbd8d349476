import { splunk } from '../../functions/splunk/connector.js';
import { runConformanceSuite } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import { splunkExampleSource } from '../helpers/vendors/aws-splunk-examples.js';

runConformanceSuite({
  stateStore: kitDynamo,
  name: 'splunk (ES correlation search example: a saved search dispatched)',
  connector: splunk,
  startSource: () => splunkExampleSource('splunkSaved'),
  // _time keeps milliseconds.
  timeStepMs: 1,
  badParams: [
    {
      title: 'an owner without its app',
      params: { app: undefined, owner: 'alice' },
      message: 'params.owner is used only with "app"',
    },
  ],
});
