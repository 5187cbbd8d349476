import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { helloworld } from './connector.js';

/** The helloworld connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(helloworld);
