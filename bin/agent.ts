#!/usr/bin/env node
import { runAgent } from '../lib/cli/agent.ts';

// `npm run agent -- "Book a flight to NYC"`: the CLI (lib/cli/agent.ts); its result is the exit code.
process.exitCode = await runAgent(process.argv.slice(2));
