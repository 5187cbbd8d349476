import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { alertmanager } from './connector.js';

/** The Alertmanager connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(alertmanager);
