#!/usr/bin/env node
import { runSmoke } from '../lib/cli/smoke.ts';

// `npm run smoke -- --outputs cdk-outputs.json`: the post-deploy smoke test (lib/cli/smoke.ts).
process.exitCode = await runSmoke(process.argv.slice(2), process.env);
