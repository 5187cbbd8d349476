import type { Connector } from '../shared/connector.js';
import { alertmanager } from './alertmanager/connector.js';
import { guardduty } from './guardduty/connector.js';
import { helloworld } from './helloworld/connector.js';
import { httpjson } from './httpjson/connector.js';
import { imap } from './imap/connector.js';
import { securityhub } from './securityhub/connector.js';
import { splunk } from './splunk/connector.js';

/**
 * Every connector in the repository, by name: for the local system, the CLI and the CDK app. A
 * connector's Lambda imports only its own connector, never this registry, so bundles stay small.
 */
export const connectors: Readonly<Record<string, Connector>> = {
  [helloworld.name]: helloworld,
  [alertmanager.name]: alertmanager,
  [imap.name]: imap,
  [httpjson.name]: httpjson,
  [securityhub.name]: securityhub,
  [guardduty.name]: guardduty,
  [splunk.name]: splunk,
};

export const connectorNames = Object.keys(connectors);
