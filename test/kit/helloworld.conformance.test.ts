import { helloworld } from '../../functions/helloworld/connector.js';
import { runConformanceSuite } from '../../shared/kit/index.js';
import { kitDynamo } from '../helpers/kit-dynamo.js';
import { startDemoConformanceSource } from './demo-conformance-source.js';

const API_KEY = 'kit-demo-key';

runConformanceSuite({
  stateStore: kitDynamo,
  connector: helloworld,
  startSource: () => startDemoConformanceSource(API_KEY),
  badParams: [
    {
      title: 'a URL that is not one',
      params: { url: 'not a url' },
      message: "params.url must be the alert API's base URL",
    },
    { title: 'no URL', params: { url: undefined }, message: 'params.url' },
  ],
});
