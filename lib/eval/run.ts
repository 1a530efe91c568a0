import { formatSection } from './report.ts';
import { evalParts } from './sections.ts';

/**
 * `npm run eval [dir]` (bin/eval.ts wires it): the guardian, the offline planner and the plan cache
 * measured on real wording from `dir` (JSON lines); prints each section and resolves to the number of
 * goals missed.
 */
export async function runEval(dir: string, print: (text: string) => void = console.log): Promise<number> {
  const started = performance.now();
  let missed = 0;
  for (const part of evalParts) {
    const section = await part.run(dir);
    missed += section.rows.filter((row) => row.met === false).length;
    print(`${formatSection(section)}\n`);
  }
  print(`corpus: ${dir} · ${((performance.now() - started) / 1000).toFixed(1)} s · goals missed: ${missed}`);
  return missed;
}
