import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { splunk } from './connector.js';

/** The Splunk connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(splunk);
