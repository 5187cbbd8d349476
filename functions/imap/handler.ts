import { createLambdaHandler } from '../../shared/handler/create-lambda-handler.js';
import { imap } from './connector.js';

/** The IMAP connector's Lambda: EventBridge Scheduler invokes it with `{"instanceId": ...}`. */
export const handler = createLambdaHandler(imap);
