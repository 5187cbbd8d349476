import { ConfigError } from '../shared/errors.js';
import { createFerryApp } from './create-ferry-app.js';

/**
 * `npx cdk synth` / `npx cdk deploy` run this (cdk.json). A config error ends synth with its message
 * alone (it names the instance, the field and the fix), not a stack trace.
 */
try {
  createFerryApp().app.synth();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`\nferry: cannot synthesize the stack.\n${error.message}\n\n`);
  process.exitCode = 1;
}
