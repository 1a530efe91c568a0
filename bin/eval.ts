/**
 * `npm run eval [dir]`: the guardian, the offline planner and the plan cache measured on real wording
 * (default `../shared/realdata`, or any directory of the same JSON-lines format): lib/eval/run.ts.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { runEval } from '../lib/eval/run.ts';

const dir = resolve(process.argv[2] ?? '../shared/realdata');
if (!existsSync(dir)) {
  console.error(`no corpus directory at ${dir}: pass one as the first argument`);
  process.exitCode = 2;
} else {
  await runEval(dir);
}
