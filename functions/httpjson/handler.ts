import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { httpjson } from './connector.js';

/** The httpjson connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(httpjson);
