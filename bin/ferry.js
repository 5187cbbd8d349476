#!/usr/bin/env node
// The `ferry` command: runs the TypeScript CLI through tsx's loader, in this process, so no build step
// stands between a clone and a working command, and no second Node process starts (a spawned child
// doubled `ferry --help`'s time and needed signals relayed to it).
import { register } from 'tsx/esm/api';

register();
await import('../local/cli/main.ts');
