/*
 * What `import { z } from 'zod'` resolves to in the Lambda bundles (esbuild alias, see
 * ../function.ts): zod 4's own entry (zod/index.js + v4/classic/external.js) with the same exports,
 * except that `z.locales` and `z.core.locales` hold English only. `import { z }` hands esbuild
 * the whole `z` namespace, so it cannot drop the 40-odd error-message locales (~257 KiB minified)
 * nobody here uses; English stays the default as in zod itself. test/infra/functions.test.ts checks
 * that this keeps every other export of the real module.
 */
import * as z from './zod-external.js';

export * from './zod-external.js';
export { z, z as default };
