/**
 * `npm run eval [dir]`: the guardian, the offline planner and the plan cache measured on real wording
 * (default `../shared/realdata`, or any directory of the same JSON-lines format).
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatSection } from '../lib/eval/report.ts';
import { evalParts } from '../lib/eval/sections.ts';

const dir = resolve(process.argv[2] ?? '../shared/realdata');
if (!existsSync(dir)) {
  console.error(`no corpus directory at ${dir}: pass one as the first argument`);
  process.exit(2);
}
const started = performance.now();
let missed = 0;
for (const part of evalParts) {
  const section = await part.run(dir);
  missed += section.rows.filter((row) => row.met === false).length;
  console.log(`${formatSection(section)}\n`);
}
console.log(
  `corpus: ${dir} · ${((performance.now() - started) / 1000).toFixed(1)} s · goals missed: ${missed}`,
);
