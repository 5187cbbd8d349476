import type { Connector } from '../shared/connector.js';
import { helloworld } from './helloworld/connector.js';

/**
 * Every connector in the repository, by name: for the local system, the CLI and the CDK app. A
 * connector's Lambda imports only its own connector, never this registry, so bundles stay small.
 */
export const connectors: Readonly<Record<string, Connector>> = {
  [helloworld.name]: helloworld,
};

export const connectorNames = Object.keys(connectors);
