import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { securityhub } from './connector.js';

/** The Security Hub connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(securityhub);
