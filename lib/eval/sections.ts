import { cacheEval } from './cache.ts';
import { guardianEval } from './guardian.ts';
import { plannerEval } from './planner.ts';
import type { EvalPart } from './report.ts';

/**
 * The parts of `npm run eval`, in the order they print. Each lives in its own module beside this one.
 */
export const evalParts: readonly { readonly name: string; readonly run: EvalPart }[] = [
  { name: 'guardian', run: guardianEval },
  { name: 'planner', run: plannerEval },
  { name: 'cache', run: cacheEval },
];
