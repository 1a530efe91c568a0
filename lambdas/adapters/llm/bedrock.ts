import {
  ApplyGuardrailCommand,
  type ApplyGuardrailCommandOutput,
  type BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type ConverseCommandInput,
  type ConverseCommandOutput,
  type GuardrailAssessment,
} from '@aws-sdk/client-bedrock-runtime';
import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';
import { clip, ModelCallFailed, ModelOutputInvalid, type OutputInvalidReason } from './errors.ts';
import { assertSchemaName, type JsonObject, validateAnswer } from './structured.ts';
import type {
  LlmProvider,
  ModelUsage,
  StructuredRequest,
  StructuredResult,
  TextRequest,
  TextResult,
} from './types.ts';

export interface BedrockProviderOptions {
  /** Created once per function (module level) by the caller; tests pass a mock. */
  readonly client: BedrockRuntimeClient;
  /** Foundation model id, inference profile id or ARN. */
  readonly modelId: string;
  /** Abort a call after this long; the abort becomes `TransientError`. @default 60000 */
  readonly timeoutMs?: number;
  /** Used when a request does not say. @default 1024 */
  readonly defaultMaxTokens?: number;
}

/**
 * Bedrock through the Converse API. Structured output is a FORCED tool call: the schema becomes the
 * tool's input schema, `toolChoice` names that tool, and the tool input is the answer.
 */
export class BedrockProvider implements LlmProvider {
  readonly name = 'bedrock' as const;
  readonly model: string;
  readonly #client: BedrockRuntimeClient;
  readonly #timeoutMs: number;
  readonly #defaultMaxTokens: number;

  constructor(opts: BedrockProviderOptions) {
    this.#client = opts.client;
    this.model = opts.modelId;
    this.#timeoutMs = opts.timeoutMs ?? 60_000;
    this.#defaultMaxTokens = opts.defaultMaxTokens ?? 1024;
  }

  async generateStructured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>> {
    assertSchemaName(req.schemaName);
    const input: ConverseCommandInput = {
      modelId: this.model,
      system: [{ text: req.system }],
      messages: [{ role: 'user', content: [{ text: req.prompt }] }],
      inferenceConfig: {
        maxTokens: req.maxTokens ?? this.#defaultMaxTokens,
        ...(req.temperature === undefined ? {} : { temperature: req.temperature }),
      },
      toolConfig: {
        tools: [
          {
            toolSpec: {
              name: req.schemaName,
              description:
                z.globalRegistry.get(req.schema)?.description ??
                `Record the ${req.purpose} answer. Call this tool exactly once; its input is the whole answer.`,
              inputSchema: { json: req.jsonSchema as JsonObject },
            },
          },
        ],
        toolChoice: { tool: { name: req.schemaName } },
      },
    };
    const { response, usage } = await this.#converse(input);
    const content = response.output?.message?.content ?? [];
    const ctx = { schemaName: req.schemaName, usage };
    const toolUse = content.find((block) => block.toolUse !== undefined)?.toolUse;
    const raw = toolUse ? JSON.stringify(toolUse.input ?? null) : textOf(content);

    checkStopReason(response.stopReason, { ...ctx, raw });
    if (!toolUse) {
      throw new ModelOutputInvalid(`model did not call the ${req.schemaName} tool`, {
        reason: raw.trim() === '' ? 'empty' : 'no_tool_use',
        issues: [{ path: [], message: `Answer by calling the ${req.schemaName} tool, not with text.` }],
        raw,
        usage,
      });
    }
    const data = validateAnswer(req.schema, toolUse.input, { ...ctx, raw });
    return { data, usage, raw };
  }

  async generateText(req: TextRequest): Promise<TextResult> {
    const { response, usage } = await this.#converse({
      modelId: this.model,
      ...(req.system === undefined ? {} : { system: [{ text: req.system }] }),
      messages: [{ role: 'user', content: [{ text: req.prompt }] }],
      inferenceConfig: { maxTokens: req.maxTokens ?? this.#defaultMaxTokens },
    });
    const text = textOf(response.output?.message?.content ?? []);
    // A text cut off at max_tokens is still text; only refusals and empty answers are errors here.
    if (response.stopReason !== 'max_tokens') {
      checkStopReason(response.stopReason, { schemaName: 'text', raw: text, usage });
    }
    if (text.trim() === '') {
      throw new ModelOutputInvalid('model returned no text', { reason: 'empty', usage });
    }
    return { text, usage };
  }

  async #converse(
    input: ConverseCommandInput,
  ): Promise<{ response: ConverseCommandOutput; usage: ModelUsage }> {
    const started = performance.now();
    let response: ConverseCommandOutput;
    try {
      response = await this.#client.send(new ConverseCommand(input), {
        abortSignal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw mapBedrockError(error, 'Converse');
    }
    const usage: ModelUsage = {
      provider: 'bedrock',
      model: this.model,
      tokens_in: response.usage?.inputTokens ?? 0,
      tokens_out: response.usage?.outputTokens ?? 0,
      latency_ms: Math.round(performance.now() - started),
    };
    return { response, usage };
  }
}

function textOf(content: readonly ContentBlock[]): string {
  return content
    .map((block) => block.text)
    .filter((text): text is string => typeof text === 'string')
    .join('');
}

/** Stop reasons that mean "no usable answer", whatever the content says. */
const STOP_REASON_FAILURES: Readonly<Record<string, readonly [OutputInvalidReason, string]>> = {
  max_tokens: ['max_tokens', 'model answer was cut off at the token limit'],
  guardrail_intervened: ['refused', 'model answer was blocked'],
  content_filtered: ['refused', 'model answer was blocked'],
  model_context_window_exceeded: ['context_exceeded', 'prompt does not fit the model context window'],
  malformed_model_output: ['not_json', 'model produced a malformed answer'],
  malformed_tool_use: ['not_json', 'model produced a malformed tool call'],
};

function checkStopReason(
  stopReason: string | undefined,
  ctx: { schemaName: string; raw: string; usage: ModelUsage },
): void {
  const failure = stopReason === undefined ? undefined : STOP_REASON_FAILURES[stopReason];
  if (failure === undefined) return;
  const [reason, message] = failure;
  throw new ModelOutputInvalid(`${message} (${ctx.schemaName}, stopReason ${stopReason})`, {
    reason,
    raw: ctx.raw,
    usage: ctx.usage,
  });
}

/** Error names of the Bedrock runtime (and the SDK) that a later retry can fix. */
const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
  'ModelTimeoutException',
  'InternalServerException',
  // "Your request exceeds the service quota ... You can resubmit your request later."
  'ServiceQuotaExceededException',
  // 424 "error while processing the model": usually passes on a retry; the ASL bounds the retries.
  'ModelErrorException',
  'TimeoutError',
  'AbortError',
  'RequestTimeout',
  'RequestTimeoutException',
  'TooManyRequestsException',
]);
const TRANSIENT_NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * SDK error → named error for the ASL: throttling, unavailability, timeouts and network failures →
 * `TransientError` (retried with backoff); everything else (AccessDenied, Validation, ResourceNotFound,
 * ...) → `ModelCallFailed` (not retried).
 */
export function mapBedrockError(error: unknown, operation: string): Error {
  const name = error instanceof Error ? error.name : 'UnknownError';
  const message = error instanceof Error ? clip(error.message) : clip(String(error));
  if (isTransient(error)) {
    return new TransientError(`Bedrock ${operation}: ${name}: ${message}`, { cause: error });
  }
  return new ModelCallFailed(`Bedrock ${operation} failed: ${name}: ${message}`, {
    code: name,
    cause: error,
  });
}

function isTransient(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const code: unknown = Reflect.get(error, 'code');
  if (typeof code === 'string' && TRANSIENT_NETWORK_CODES.has(code)) return true;
  // The SDK marks throttling and transient errors `$retryable` (after its own retries ran out).
  if (Reflect.get(error, '$retryable') !== undefined) return true;
  const metadata: unknown = Reflect.get(error, '$metadata');
  const status: unknown =
    typeof metadata === 'object' && metadata !== null ? Reflect.get(metadata, 'httpStatusCode') : undefined;
  if (typeof status === 'number') return status === 429 || status >= 500;
  return Reflect.get(error, '$fault') === 'server';
}

/** What an `ApplyGuardrail` call decided. `reasons` are policy codes, never the matched text. */
export interface GuardrailVerdict {
  action: 'NONE' | 'GUARDRAIL_INTERVENED';
  /** e.g. `topic:Investment advice`, `content:PROMPT_ATTACK`, `pii:EMAIL`, `word:PROFANITY`. */
  reasons: string[];
}

export interface ApplyGuardrailInput {
  guardrailId: string;
  guardrailVersion: string;
  text: string;
  /** Whether `text` is user input or model output. @default 'INPUT' */
  source?: 'INPUT' | 'OUTPUT';
  /** @default 10000 */
  timeoutMs?: number;
}

/**
 * Runs a Bedrock guardrail over a text, without a model call. Errors map like Converse errors
 * (`TransientError` / `ModelCallFailed`). Needs `bedrock:ApplyGuardrail` on the guardrail's ARN.
 */
export async function applyGuardrail(
  client: BedrockRuntimeClient,
  input: ApplyGuardrailInput,
): Promise<GuardrailVerdict> {
  let response: ApplyGuardrailCommandOutput;
  try {
    response = await client.send(
      new ApplyGuardrailCommand({
        guardrailIdentifier: input.guardrailId,
        guardrailVersion: input.guardrailVersion,
        source: input.source ?? 'INPUT',
        content: [{ text: { text: input.text } }],
      }),
      { abortSignal: AbortSignal.timeout(input.timeoutMs ?? 10_000) },
    );
  } catch (error) {
    throw mapBedrockError(error, 'ApplyGuardrail');
  }
  const action = response.action === 'GUARDRAIL_INTERVENED' ? 'GUARDRAIL_INTERVENED' : 'NONE';
  const reasons = [...new Set((response.assessments ?? []).flatMap(assessmentReasons))];
  return { action, reasons };
}

/** Policy hits that acted (not `NONE`), as codes; `match` fields (the user's text) are left out. */
function assessmentReasons(a: GuardrailAssessment): string[] {
  const acted = (action: string | undefined, detected: boolean | undefined) =>
    action !== undefined && action !== 'NONE' && detected !== false;
  const reasons: string[] = [];
  for (const t of a.topicPolicy?.topics ?? [])
    if (acted(t.action, t.detected)) reasons.push(`topic:${t.name}`);
  for (const f of a.contentPolicy?.filters ?? [])
    if (acted(f.action, f.detected)) reasons.push(`content:${f.type}`);
  for (const w of a.wordPolicy?.customWords ?? [])
    if (acted(w.action, w.detected)) reasons.push('word:custom');
  for (const w of a.wordPolicy?.managedWordLists ?? [])
    if (acted(w.action, w.detected)) reasons.push(`word:${w.type}`);
  for (const p of a.sensitiveInformationPolicy?.piiEntities ?? []) {
    if (acted(p.action, p.detected)) reasons.push(`pii:${p.type}`);
  }
  for (const r of a.sensitiveInformationPolicy?.regexes ?? []) {
    if (acted(r.action, r.detected)) reasons.push(`regex:${r.name ?? 'unnamed'}`);
  }
  for (const g of a.contextualGroundingPolicy?.filters ?? []) {
    if (acted(g.action, g.detected)) reasons.push(`grounding:${g.type}`);
  }
  return reasons;
}
