/**
 * zod, for everything under lambdas/: zod 4's functional API (`zod/mini`), whose bundle holds only
 * what the code names (classic `zod` put ~135 KiB and ~40 ms of cold import into every Lambda).
 * Import it as a namespace, `import * as z from '#domain/zod.ts'`: esbuild keeps only the `z.…` a
 * bundle uses (`import { z } from 'zod/mini'` would pull in all of zod, locales included).
 *
 * Loading it sets what classic zod sets by itself, before any schema is built (ES modules evaluate
 * this module before the module that imports it), so the schemas behave as they did with classic zod:
 * - English messages: zod/mini loads no locale, so every issue would read "Invalid input". They reach
 *   the API's 400 bodies, `invalid environment: …` and the events.
 * - the memoizer: a recursive schema (bus-events.ts) parses shared and cyclic references as before.
 */
import { en } from 'zod/locales';
import { config, memoizer } from 'zod/mini';
import { _parse, $constructor, $ZodError, type $ZodIssue } from 'zod/v4/core';

config({ ...en(), memoizer: memoizer() });

export * from 'zod/mini';

/**
 * What {@link parse} throws: zod's error named `ZodError`, as classic zod names it (zod/mini's is
 * `$ZodError`). The name is an error's code in events (`errorSummary`) and in Step Functions.
 */
export interface ZodError extends $ZodError {}
export const ZodError = $constructor<ZodError, $ZodIssue[]>(
  'ZodError',
  (inst, issues) => {
    $ZodError.init(inst, issues);
    inst.name = 'ZodError';
  },
  undefined,
  { Parent: Error },
);

/** `z.parse(schema, value)`: zod's parse, throwing a {@link ZodError} (use it instead of `schema.parse`). */
export const parse = _parse(ZodError);
