import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { App, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  bundleFunction,
  esbuildOptions,
  FunctionWithLogGroup,
  lambdaBundle,
  sideFilesOf,
} from '../../lib/constructs/function.ts';
import { type FunctionName, type FunctionSpec, functionSpecs, tableSpecs } from '../../lib/specs.ts';
import { functionId, synth } from './synth.ts';

const names = Object.keys(functionSpecs) as FunctionName[];
const spec = (name: FunctionName): FunctionSpec => functionSpecs[name];

describe('functions', () => {
  const synthesized = synth();
  const { template, stack } = synthesized;
  const resources = template.toJSON().Resources;

  it('builds one function per entry of functionSpecs', () => {
    template.resourceCountIs('AWS::Lambda::Function', names.length);
  });

  it.each(names)('%s runs Node.js 24 on ARM64 with active X-Ray tracing', (name) => {
    const fn = resources[functionId(stack, name)];
    expect(fn.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      Timeout: spec(name).timeoutSeconds,
      MemorySize: spec(name).memoryMiB,
      Description: spec(name).description,
    });
  });

  it.each(names)('%s logs to its own log group with a retention', (name) => {
    const logGroupId: string = resources[functionId(stack, name)].Properties.LoggingConfig.LogGroup.Ref;
    expect(resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    const others = names.filter((other) => other !== name);
    for (const other of others) {
      expect(resources[functionId(stack, other)].Properties.LoggingConfig.LogGroup.Ref).not.toBe(logGroupId);
    }
  });

  it.each(names)('%s has the Powertools settings and no NODE_OPTIONS', (name) => {
    const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
    // Stack traces are mapped by the bundle itself, when formatted (test/infra/stack-traces.test.ts):
    // --enable-source-maps would parse every map at the cold start.
    expect(variables).not.toHaveProperty('NODE_OPTIONS');
    expect(variables).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'omnilink-orchestrator',
      POWERTOOLS_METRICS_NAMESPACE: 'Omnilink',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      LLM_PROVIDER: 'bedrock',
      RATE_LIMIT_PER_MINUTE: '120',
      RATE_LIMIT_BURST: '30',
    });
  });

  it.each(names)('%s receives the names of exactly the tables it uses', (name) => {
    const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
    for (const [tableName, tableSpec] of Object.entries(tableSpecs)) {
      const table = stack.tables.byName[tableName as keyof typeof tableSpecs];
      if (tableName in spec(name).tables) {
        expect(variables[tableSpec.envVar]).toEqual({ Ref: stack.resolve(table.tableName).Ref });
      } else {
        expect(variables[tableSpec.envVar]).toBeUndefined();
      }
    }
  });

  it.each(names)('%s gets STATE_MACHINE_ARN only when it calls Step Functions', (name) => {
    const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
    // The alias executions start through; handlers strip its qualifier to name executions.
    const aliasRef = stack.resolve(stack.workflow.aliasArn);
    if ((spec(name).stepFunctions ?? []).length > 0) expect(variables.STATE_MACHINE_ARN).toEqual(aliasRef);
    else expect(variables.STATE_MACHINE_ARN).toBeUndefined();
  });

  it('gives every function its own role without AWS managed policies', () => {
    const roleIds = names.map((name) => resources[functionId(stack, name)].Properties.Role['Fn::GetAtt'][0]);
    expect(new Set(roleIds).size).toBe(names.length);
    for (const roleId of roleIds) {
      expect(resources[roleId].Properties.ManagedPolicyArns).toBeUndefined();
    }
  });

  it('lets functions write only to their own log group', () => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
            Resource: { 'Fn::GetAtt': [Match.stringLikeRegexp('^ProducerFunctionLogGroup'), 'Arn'] },
          }),
        ]),
      },
    });
  });

  it('takes rate limits, LLM provider, log level and retention from the context', () => {
    const custom = synth({
      rateLimitPerMinute: '60',
      rateLimitBurst: 5,
      llmProvider: 'offline',
      logLevel: 'DEBUG',
      logRetentionDays: '7',
    });
    const producer = custom.template.toJSON().Resources[functionId(custom.stack, 'producer')];
    expect(producer.Properties.Environment.Variables).toMatchObject({
      RATE_LIMIT_PER_MINUTE: '60',
      RATE_LIMIT_BURST: '5',
      LLM_PROVIDER: 'offline',
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
    });
    custom.template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
  });

  it('rejects context values that are not valid settings', () => {
    expect(() => synth({ rateLimitPerMinute: 'lots' })).toThrow(
      /rateLimitPerMinute must be a positive integer/,
    );
    expect(() => synth({ llmProvider: 'gpt' })).toThrow(/llmProvider must be one of/);
    expect(() => synth({ logRetentionDays: 8 })).toThrow(
      /logRetentionDays must be a CloudWatch Logs retention/,
    );
  });
});

describe('bundling', () => {
  it('deploys what bundleFunction builds: index.mjs, the chunks of its dynamic imports, the JSON it imports', async () => {
    // A stack of its own, bundled (the other infrastructure tests skip bundling).
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'omnilink-cdk-bundle-')) });
    const stack = new Stack(app, 'Bundled');
    for (const name of ['planner', 'cancel'] as const) {
      new FunctionWithLogGroup(stack, name, {
        entry: spec(name).entry,
        timeout: Duration.seconds(30),
        logRetention: RetentionDays.ONE_WEEK,
        logRemovalPolicy: RemovalPolicy.DESTROY,
        serviceName: 'test',
        metricsNamespace: 'Test',
      });
    }
    const assembly = app.synth();
    const functions = Template.fromStack(stack).findResources('AWS::Lambda::Function');
    expect(Object.values(functions).map((fn) => fn.Properties.Handler)).toEqual([
      'index.handler',
      'index.handler',
    ]);
    // Each function its own asset (CDK caches bundles by their options: the entry must be in them).
    const assets = readdirSync(assembly.directory).filter((f) => f.startsWith('asset.'));
    expect(assets).toHaveLength(2);
    const asset = join(
      assembly.directory,
      assets.find((a) => readdirSync(join(assembly.directory, a)).includes('vocabulary.json')) ?? '',
    );
    const shipped = readdirSync(asset).sort();

    const local = await bundleFunction(
      lambdaBundle,
      spec('planner').entry,
      mkdtempSync(join(tmpdir(), 'omnilink-bundle-')),
    );
    // Chunk names carry a content hash, and the maps' paths depend on the output folder.
    const unhashed = (files: string[]) => files.map((f) => f.replace(/-[A-Z0-9]{8}\./, '-#.')).sort();
    expect(unhashed(shipped)).toEqual(
      unhashed([
        ...Object.keys(local.code),
        ...Object.keys(local.code).map((f) => `${f}.map`),
        ...local.sideFiles.map(([f]) => f),
      ]),
    );
    // The offline rules (the planner's grammar and chrono-node) are a chunk the cold start does not load.
    const offline = shipped.find((f) => /^offline-planner-.*\.mjs$/.test(f));
    expect(offline).toBeDefined();
    const index = readFileSync(join(asset, 'index.mjs'), 'utf8');
    expect(index).toContain(`import("./${offline}")`);
    expect(index).not.toContain(`from"./${offline}"`);
    expect(shipped).toContain('vocabulary.json');
  });

  it('copies a side file next to the bundle only when the bundle imports it', () => {
    expect(sideFilesOf(lambdaBundle, 'import a from"./vocabulary.json"with{type:"json"};')).toEqual([
      ['vocabulary.json', expect.stringMatching(/lambdas\/domain\/cache\/vocabulary\.json$/)],
    ]);
    expect(sideFilesOf(lambdaBundle, 'export const handler = () => 1;')).toEqual([]);
    for (const source of Object.values(lambdaBundle.sideFiles)) {
      expect(existsSync(fileURLToPath(new URL(`../../${source}`, import.meta.url)))).toBe(true);
    }
  });

  it('no function ES-imports a Node builtin: each is bundled as its CommonJS exports', async () => {
    // An ES import of a builtin reads all its exports (node:http's WebSocket getter loads undici, tls's
    // rootCertificates parses the root store): lambdaBundle.builtinsAsCommonJs aliases each to a
    // module that takes it with process.getBuiltinModule.
    for (const name of Object.keys(functionSpecs) as FunctionName[]) {
      const result = await build(
        esbuildOptions(lambdaBundle, spec(name).entry, join(tmpdir(), `omnilink-builtins-${name}`)),
      );
      const imported = Object.values(result.metafile.outputs).flatMap((output) =>
        output.imports.filter((i) => i.external).map((i) => i.path),
      );
      expect(
        imported.filter((path) => /^node:|^(fs|path|crypto|http|https|net|tls|util)$/.test(path)),
      ).toEqual([]);
      expect(Object.keys(result.metafile.inputs).some((input) => input.includes('omnilink-builtins'))).toBe(
        true,
      );
    }
  }, 120_000);

  it('bundles builtins as their CommonJS exports: default, named, renamed and bare imports work', async () => {
    const outdir = mkdtempSync(join(tmpdir(), 'omnilink-builtins-fixture-'));
    await build(esbuildOptions(lambdaBundle, 'test/fixtures/builtins/entry.ts', outdir));
    const code = readFileSync(join(outdir, 'index.mjs'), 'utf8');
    expect(code).toContain('process.getBuiltinModule("node:crypto")');
    expect(code).not.toMatch(/from\s*"node:/);
    const bundled = (await import(pathToFileURL(join(outdir, 'index.mjs')).href)) as {
      run(): Promise<string[]>;
    };
    expect(await bundled.run()).toEqual(['2d711642', '36', 'function']);
  });

  it('fails the build on a builtin imported by a name that is a getter', async () => {
    await expect(
      build({
        ...esbuildOptions(
          lambdaBundle,
          'test/fixtures/builtins/getter.ts',
          join(tmpdir(), 'omnilink-getter'),
        ),
        logLevel: 'silent',
      }),
    ).rejects.toThrow(/No matching export .* for import "WebSocket"/);
  });

  it.each(['guardian', 'planner'] as const)(
    "the %s ships the JSON Schemas its model is given, not zod's JSON Schema generator",
    async (name) => {
      const result = await build(
        esbuildOptions(lambdaBundle, spec(name).entry, join(tmpdir(), `omnilink-json-schemas-${name}`)),
      );
      const shipped = Object.values(result.metafile.outputs).flatMap((output) =>
        Object.entries(output.inputs)
          .filter(([, input]) => input.bytesInOutput > 0)
          .map(([file]) => file),
      );
      expect(shipped).toContain('node_modules/zod/v4/core/schemas.js'); // the check sees zod's files
      expect(
        shipped.filter((file) => /zod\/v4\/core\/(to-json-schema|json-schema-processors)\.js$/.test(file)),
      ).toEqual([]);
      const imported = Object.values(result.metafile.outputs).flatMap((output) =>
        output.imports.map((i) => i.path),
      );
      expect(imported).toContain('./json-schemas.json');
    },
  );

  it('bundles zod/mini and English only: no classic zod, no other locale', async () => {
    const result = await build(
      esbuildOptions(lambdaBundle, 'lambdas/handlers/api/status.ts', join(tmpdir(), 'omnilink-zod-bundle')),
    );
    // What the bundle holds of each file (esbuild reads every file imported, and shakes most of them off).
    const shipped = Object.values(result.metafile.outputs).flatMap((output) =>
      Object.entries(output.inputs)
        .filter(([, input]) => input.bytesInOutput > 0)
        .map(([file]) => file),
    );
    const zodFiles = shipped.filter((file) => file.includes('node_modules/zod/'));
    expect(zodFiles).toContain('node_modules/zod/v4/mini/schemas.js');
    expect(zodFiles).toContain('node_modules/zod/v4/locales/en.js');
    expect(zodFiles.filter((file) => /\/v4\/classic\/|\/v4\/locales\/(?!en\.js)/.test(file))).toEqual([]);
  });

  it('Lambda code imports zod only as `import * as z from #domain/zod.ts` (what esbuild can shake)', () => {
    const files = readdirSync(fileURLToPath(new URL('../../lambdas', import.meta.url)), {
      recursive: true,
      withFileTypes: true,
    }).filter((entry) => entry.isFile() && entry.name.endsWith('.ts'));
    // zod itself only in lambdas/domain/zod.ts; `import { z } from 'zod/mini'` would bundle all of zod.
    const direct = /from\s*'zod(\/[^']*)?'/;
    const imports = /import\s+([^;]*?)\s+from\s*'(?:#domain\/|\.{1,2}\/(?:[^']*\/)?)zod\.ts'/g;
    const offenders = files
      .map((entry) => join(entry.parentPath, entry.name))
      .filter((file) => {
        const source = readFileSync(file, 'utf8');
        if (file.endsWith(join('lambdas', 'domain', 'zod.ts'))) return false;
        if (direct.test(source)) return true;
        return [...source.matchAll(imports)].some(
          ([, clause]) => !/^(type\s+)?\*\s+as\s+z$/.test(clause ?? ''),
        );
      });
    expect(offenders).toEqual([]);
  });

  it('Lambda code parses with `z.parse(schema, value)`, whose error is named ZodError, never `schema.parse(value)`', () => {
    // zod/mini's own parse throws `$ZodError`, and an error's name is its code in events and in Step
    // Functions: `z.parse` (lambdas/domain/zod.ts) keeps classic zod's `ZodError`.
    const files = readdirSync(fileURLToPath(new URL('../../lambdas', import.meta.url)), {
      recursive: true,
      withFileTypes: true,
    }).filter((entry) => entry.isFile() && entry.name.endsWith('.ts'));
    const parses = /\b(\w+)\.parse(?:Async)?\(/g;
    const allowed = new Set(['z', 'JSON', 'Date', 'chrono']);
    const offenders = files.flatMap((entry) => {
      const file = join(entry.parentPath, entry.name);
      return [...readFileSync(file, 'utf8').matchAll(parses)]
        .filter(([, receiver]) => !allowed.has(receiver ?? ''))
        .map(([call]) => `${file}: ${call}`);
    });
    expect(offenders).toEqual([]);
  });
});
