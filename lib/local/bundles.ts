import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleFunction, lambdaBundle } from '../constructs/function.ts';

/**
 * The bundles `cdk deploy` ships, built for the local runtime's workers: the same esbuild options
 * (lib/constructs/function.ts `lambdaBundle`), so a bundling bug (a missing side file, an import the
 * ESM bundle cannot satisfy) fails `npm start` and the integration tests too.
 *
 * Bundling all functions takes seconds, so bundles are cached under `<root>/.local/bundles/`, one
 * folder per entry, with the content hash of every source file esbuild read (its metafile) and of the
 * lockfile: an unchanged function is not rebuilt, a changed source rebuilds exactly the bundles that
 * include it. Builds write to a temporary folder renamed into place, so concurrent test processes
 * never see half a bundle.
 */

interface CacheManifest {
  readonly lock: string;
  /** Project-relative input path → sha256 of its content. */
  readonly inputs: Readonly<Record<string, string>>;
}

const sha = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

async function hashOf(root: string, path: string): Promise<string | undefined> {
  try {
    return sha(await readFile(join(root, path)));
  } catch {
    return undefined;
  }
}

/** Whether every input of a cached bundle still has the content it was built from. */
async function upToDate(root: string, dir: string, lock: string): Promise<boolean> {
  let manifest: CacheManifest;
  try {
    manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as CacheManifest;
  } catch {
    return false;
  }
  if (manifest.lock !== lock) return false;
  const checks = await Promise.all(
    Object.entries(manifest.inputs).map(async ([path, hash]) => (await hashOf(root, path)) === hash),
  );
  return checks.every(Boolean);
}

const building = new Map<string, Promise<string>>();

/**
 * The deployable bundle of `entry` (project-relative), built or taken from the cache; resolves to
 * the absolute path of its `index.mjs`.
 */
export function bundleEntry(root: string, entry: string): Promise<string> {
  const key = `${root}|${entry}`;
  let pending = building.get(key);
  if (!pending) {
    pending = buildCached(root, entry).finally(() => building.delete(key));
    building.set(key, pending);
  }
  return pending;
}

async function buildCached(root: string, entry: string): Promise<string> {
  const cacheDir = join(root, '.local', 'bundles');
  const slug = `${entry.replace(/\.[cm]?[jt]s$/, '').replace(/[^A-Za-z0-9]+/g, '-')}-${sha(entry).slice(0, 8)}`;
  const dir = join(cacheDir, slug);
  const lock = (await hashOf(root, 'package-lock.json')) ?? '';
  if (await upToDate(root, dir, lock)) return join(dir, 'index.mjs');

  const tmp = join(cacheDir, `.${slug}-${process.pid}-${crypto.randomUUID().slice(0, 8)}`);
  await mkdir(tmp, { recursive: true });
  try {
    const result = await bundleFunction(lambdaBundle, entry, tmp, root);
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      // Packages are pinned by the lockfile; hash the project's own files (and esbuild's virtual ones not at all).
      if (input.includes('node_modules/') || input.includes(':')) continue;
      const hash = await hashOf(root, input);
      if (hash !== undefined) inputs[input] = hash;
    }
    await writeFile(join(tmp, 'manifest.json'), JSON.stringify({ lock, inputs } satisfies CacheManifest));
    await rm(dir, { recursive: true, force: true });
    try {
      await rename(tmp, dir);
    } catch (error) {
      // Another process renamed its build into place first: use that one.
      if (!(await upToDate(root, dir, lock))) throw error;
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  return join(dir, 'index.mjs');
}
