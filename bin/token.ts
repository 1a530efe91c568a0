#!/usr/bin/env node
import { runToken } from '../lib/cli/token.ts';

// `npm run token -- --sub alice`: prints a JWT the local API accepts (lib/cli/token.ts).
process.exitCode = await runToken(process.argv.slice(2), process.env);
