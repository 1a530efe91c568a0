import { readFileSync } from 'node:fs';
import { getSourceMapsSupport, SourceMap } from 'node:module';
import { dirname, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Stack traces that name the TypeScript (`lambdas/usecases/plan-steps.ts:42:11`), at no cost to a cold
 * start. The bundler puts this module in every function (`inject` in lib/constructs/function.ts).
 *
 * `--enable-source-maps` reads and parses the map of every module and walks every character of the
 * code while the module loads, for stack traces that most invocations never format (measured: ~8 ms of
 * the planner's ~150 ms cold import, about the whole gap to the 1.3× goal). Here a map is read the first
 * time a stack that runs through its file is formatted (an error thrown to the runtime, logged, or sent
 * to Step Functions as a cause), and kept for the life of the execution environment.
 *
 * Node's own `SourceMap` does the decoding; this file only picks the frames of the bundle's own files
 * (index.mjs and its chunks, next to this code) and writes them the way Node's own source-mapped traces
 * are written. Every other frame, and every stack when Node maps stacks itself, is left to Node.
 */

/** The bundle's folder: the frames to map are those of the files in it. */
const bundleDir = dirname(fileURLToPath(import.meta.url)) + sep;
/** Per file: its map, or null when it has none (then its frames stay as they are). */
const maps = new Map<string, SourceMap | null>();

function mapOf(file: string): SourceMap | null {
  let map = maps.get(file);
  if (map === undefined) {
    try {
      map = new SourceMap(JSON.parse(readFileSync(`${file}.map`, 'utf8')));
    } catch {
      map = null;
    }
    maps.set(file, map);
  }
  return map;
}

/** The frame's file as a path (an ES module's frames name it by URL). */
function fileOf(site: NodeJS.CallSite | undefined): string | undefined {
  const url = site?.getFileName();
  return url?.startsWith('file://') ? fileURLToPath(url) : (url ?? undefined);
}

/**
 * One frame in the original source, as Node writes a source-mapped frame; undefined when unmapped.
 * `caller` is the next frame down the stack (where a minified name may be restored from).
 */
function mappedFrame(site: NodeJS.CallSite, caller?: NodeJS.CallSite): string | undefined {
  const file = fileOf(site);
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (!file?.startsWith(bundleDir) || line === null || column === null) return undefined;
  const map = mapOf(file);
  const entry = map?.findEntry(line - 1, column - 1);
  if (!map || !entry || !('originalSource' in entry)) return undefined;
  // `sources` are relative to the map (`../../lambdas/...`): written from the project's root.
  const source = entry.originalSource.replace(/^(?:\.\.\/)+/, '');
  const name =
    originalName(map, site, file, caller) || site.getFunctionName() || site.getMethodName() || '<anonymous>';
  const typeName = site.getTypeName();
  const owner = typeName !== null && typeName !== 'global' ? `${typeName}.` : '';
  const prefix = site.isAsync() ? 'async ' : site.isConstructor() ? 'new ' : '';
  return `${prefix}${owner}${name} (${source}:${entry.originalLine + 1}:${entry.originalColumn + 1})`;
}

/**
 * The name the minifier took from the frame's function, from the map's names: at the enclosing function's
 * position, or else at the call in the caller's frame (what Node's own source-mapped traces do).
 */
function originalName(map: SourceMap, site: NodeJS.CallSite, file: string, caller?: NodeJS.CallSite): string {
  const enclosing = nameAt(map, site.getEnclosingLineNumber() ?? 1, site.getEnclosingColumnNumber() ?? 1);
  if (enclosing) return enclosing;
  const line = caller?.getLineNumber();
  const column = caller?.getColumnNumber();
  return fileOf(caller) === file && line && column ? nameAt(map, line, column) : '';
}

/** The map's name at a 1-based position (Node returns it with the entry; @types/node omits it). */
function nameAt(map: SourceMap, line: number, column: number): string {
  return (map.findEntry(line - 1, column - 1) as { name?: string }).name ?? '';
}

const formatted = Error.prepareStackTrace;
if (formatted && !getSourceMapsSupport().enabled) {
  Error.prepareStackTrace = (error, sites) => {
    let frames: (string | undefined)[];
    try {
      frames = sites.map((site, i) => mappedFrame(site, sites[i + 1]));
    } catch {
      frames = []; // a stack is never lost to its mapping: unmapped, as Node would write it
    }
    if (frames.every((frame) => frame === undefined)) return formatted(error, sites);
    // Node's header (`Name [code]: message`), then every frame, mapped where it can be.
    return formatted(error, []) + sites.map((site, i) => `\n    at ${frames[i] ?? String(site)}`).join('');
  };
}
