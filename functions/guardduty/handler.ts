import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { guardduty } from './connector.js';

/** The GuardDuty connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(guardduty);
