import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';
import { workflowDefinitionPath } from '../specs.ts';
import type { LocalEndpoint } from './http-api.ts';
import type { LocalIssuer } from './jwt.ts';

/**
 * The local console's routes on `npm start`'s API (local only: nothing of this exists in AWS, where
 * the AWS console shows executions): the page, its script (lib/console/main.tsx, bundled with esbuild
 * once at start-up, React included), the ASL file it draws, and the sign-in route that mints a token
 * for a local user name the way `npm run token` does.
 */

const page = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Omnilink console (local)</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; background: #f4f5f7; color: #16191f; }
  header { display: flex; justify-content: space-between; align-items: center; padding: 8px 16px; background: #232f3e; color: #fff; }
  header h1 { font-size: 16px; margin: 0; }
  main { display: grid; grid-template-columns: 320px 1fr; gap: 12px; padding: 12px; }
  .card { background: #fff; border: 1px solid #d5dbdb; border-radius: 6px; padding: 10px 12px; margin-bottom: 12px; }
  .signin { max-width: 360px; margin: 48px auto; display: grid; gap: 8px; }
  .hint { color: #5f6b7a; margin: 4px 0; }
  .error { color: #d91515; }
  .list { list-style: none; padding: 0; margin: 0; }
  .list li button { width: 100%; text-align: left; background: none; border: 0; border-bottom: 1px solid #eee; padding: 6px 2px; cursor: pointer; }
  .list li.selected button { background: #f1faff; }
  .list small { display: block; color: #5f6b7a; }
  .badge { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; background: #e9ebed; }
  .badge.running, .badge.submitting { background: #d1f1ff; }
  .badge.waiting { background: #fff3cd; }
  .badge.completed { background: #d7f5dc; }
  .badge.failed, .badge.rejected { background: #ffe0e0; }
  .badge.cancelled { background: #e9ebed; }
  .goal { display: flex; gap: 8px; } .goal textarea { flex: 1; }
  .actions { display: flex; gap: 8px; }
  .graphs { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  .graphs .card { overflow: auto; }
  svg text { font-size: 11px; fill: #16191f; }
  svg rect { fill: #fafafa; stroke: #879596; }
  svg .asl.Choice rect { fill: #fff8e1; } svg .asl.Succeed rect { fill: #e8f5e9; } svg .asl.Fail rect { fill: #fdecea; }
  svg g.current.asl rect { fill: #0972d3; stroke: #033160; stroke-width: 2; } svg g.current text { fill: #fff; font-weight: bold; }
  svg .step.running rect, td.step.running { fill: #d1f1ff; background: #d1f1ff; }
  svg .step.waiting rect, td.step.waiting { fill: #fff3cd; background: #fff3cd; }
  svg .step.succeeded rect, td.step.succeeded { fill: #d7f5dc; background: #d7f5dc; }
  svg .step.failed rect, td.step.failed { fill: #ffe0e0; background: #ffe0e0; }
  svg .step.compensated rect, td.step.compensated { fill: #e9ebed; background: #e9ebed; }
  table { border-collapse: collapse; margin-top: 8px; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
  .timeline { padding-left: 0; list-style: none; font-family: ui-monospace, monospace; font-size: 12px; }
  .result { white-space: pre-wrap; background: #f7f7f7; padding: 6px; }
</style>
</head>
<body><div id="root"></div><script type="module" src="/console/app.js"></script></body>
</html>
`;

/** The console's script, bundled for browsers (started once; every request awaits the same build). */
export function bundleConsole(root: string): Promise<string> {
  return build({
    entryPoints: [join(root, 'lib/console/main.tsx')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    minify: true,
    sourcemap: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  }).then((result) => result.outputFiles[0]?.text ?? '');
}

/** A local user name: what `npm run token -- --sub` takes, within reason. */
const SUB = /^[A-Za-z0-9_.@-]{1,64}$/;

export function consoleEndpoints(root: string, issuer: LocalIssuer): Record<string, LocalEndpoint> {
  let script: Promise<string> | undefined;
  const bundle = () => {
    script ??= bundleConsole(root);
    return script;
  };
  // Started now, so the first page load does not wait for esbuild.
  void bundle().catch(() => undefined);
  return {
    'GET /console': async () => ({
      statusCode: 200,
      body: page,
      raw: true,
      headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' },
    }),
    'GET /console/app.js': async () => ({
      statusCode: 200,
      body: await bundle(),
      raw: true,
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'no-store' },
    }),
    'GET /console/workflow.asl.json': async () => ({
      statusCode: 200,
      body: JSON.parse(await readFile(join(root, workflowDefinitionPath), 'utf8')),
    }),
    // Local only: signs a token for a user name, as `npm run token -- --sub <name>` does.
    'POST /_local/token': async ({ body }) => {
      let sub: unknown;
      try {
        sub = (JSON.parse(body) as { sub?: unknown }).sub;
      } catch {
        sub = undefined;
      }
      if (typeof sub !== 'string' || !SUB.test(sub)) {
        return {
          statusCode: 400,
          body: { error: { code: 'invalid_request', message: 'sub: 1-64 of A-Z a-z 0-9 _ . @ -' } },
        };
      }
      return { statusCode: 200, body: { token: await issuer.sign(sub), expires_in: 3600 } };
    },
  };
}
