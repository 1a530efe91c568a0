import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';
import { clip, ModelCallFailed, ModelOutputInvalid } from './errors.ts';
import {
  assertSchemaName,
  isStrictCompatible,
  type JsonObject,
  parseJsonAnswer,
  validateAnswer,
} from './structured.ts';
import type {
  LlmProvider,
  ModelUsage,
  StructuredRequest,
  StructuredResult,
  TextRequest,
  TextResult,
} from './types.ts';

export interface OpenAiProviderOptions {
  /** Up to and including the API version, e.g. `http://127.0.0.1:8080/v1` (llama.cpp, Ollama, vLLM). */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer <key>`. Local servers usually need none. */
  readonly apiKey?: string;
  /**
   * Fetches the key when `apiKey` is not given (in AWS: from Secrets Manager). Called once and cached;
   * called again after a 401 (the key may have rotated). Its errors propagate unchanged.
   */
  readonly resolveApiKey?: () => Promise<string | undefined>;
  /** Abort a call (including reading the body) after this long → `TransientError`. @default 60000 */
  readonly timeoutMs?: number;
  /** @default 1024 */
  readonly defaultMaxTokens?: number;
  /** Newer OpenAI models reject `max_tokens`; local servers only know it. @default 'max_tokens' */
  readonly maxTokensParam?: 'max_tokens' | 'max_completion_tokens';
}

/** The part of a chat completion this provider reads. */
const chatCompletionSchema = z.lazy(() =>
  z.object({
    choices: z
      .array(
        z.object({
          message: z.nullish(z.object({ content: z.nullish(z.string()), refusal: z.nullish(z.string()) })),
          finish_reason: z.nullish(z.string()),
        }),
      )
      .check(z.minLength(1)),
    usage: z.nullish(
      z.object({ prompt_tokens: z.nullish(z.number()), completion_tokens: z.nullish(z.number()) }),
    ),
  }),
);
type ChatCompletion = z.infer<typeof chatCompletionSchema>;

/** Retrying can fix these statuses (timeouts, conflicts, too early, rate limits, server errors). */
const RETRYABLE_STATUS = new Set([408, 409, 425, 429]);

/**
 * Any OpenAI-compatible `/chat/completions` endpoint. Structured output via
 * `response_format: { type: 'json_schema', json_schema: { name, schema, strict } }`; `strict` is
 * true whenever the schema allows it (all properties required, objects closed) — OpenAI rejects
 * strict schemas with optional fields; llama.cpp / Ollama / vLLM constrain decoding either way.
 */
export class OpenAiProvider implements LlmProvider {
  readonly name = 'openai' as const;
  readonly model: string;
  readonly #url: string;
  readonly #opts: OpenAiProviderOptions;
  #key: Promise<string | undefined> | undefined;

  constructor(opts: OpenAiProviderOptions) {
    this.model = opts.model;
    // Fail at start-up on a malformed base URL rather than on the first call.
    this.#url = new URL(`${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`).toString();
    this.#opts = opts;
  }

  async generateStructured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>> {
    assertSchemaName(req.schemaName);
    const schema = req.jsonSchema as JsonObject;
    const { completion, usage } = await this.#complete({
      messages: [
        { role: 'system', content: req.system },
        { role: 'user', content: req.prompt },
      ],
      maxTokens: req.maxTokens,
      temperature: req.temperature,
      responseFormat: {
        type: 'json_schema',
        json_schema: { name: req.schemaName, schema, strict: isStrictCompatible(schema) },
      },
    });
    const raw = contentOf(completion, { schemaName: req.schemaName, usage });
    const value = parseJsonAnswer(raw, { schemaName: req.schemaName, usage });
    return {
      data: validateAnswer(req.schema, value, { schemaName: req.schemaName, raw, usage }),
      usage,
      raw,
    };
  }

  async generateText(req: TextRequest): Promise<TextResult> {
    const messages = req.system === undefined ? [] : [{ role: 'system', content: req.system }];
    const { completion, usage } = await this.#complete({
      messages: [...messages, { role: 'user', content: req.prompt }],
      maxTokens: req.maxTokens,
    });
    const choice = completion.choices[0];
    const text = choice?.message?.content ?? '';
    if (choice?.message?.refusal) {
      throw new ModelOutputInvalid('model refused to answer', {
        reason: 'refused',
        raw: choice.message.refusal,
        usage,
      });
    }
    if (text.trim() === '') {
      throw new ModelOutputInvalid('model returned no text', { reason: 'empty', usage });
    }
    return { text, usage };
  }

  async #complete(call: {
    messages: { role: string; content: string }[];
    maxTokens: number | undefined;
    temperature?: number | undefined;
    responseFormat?: JsonObject;
  }): Promise<{ completion: ChatCompletion; usage: ModelUsage }> {
    const body: Record<string, unknown> = {
      model: this.model,
      messages: call.messages,
      [this.#opts.maxTokensParam ?? 'max_tokens']: call.maxTokens ?? this.#opts.defaultMaxTokens ?? 1024,
      stream: false,
    };
    if (call.temperature !== undefined) body.temperature = call.temperature;
    if (call.responseFormat !== undefined) body.response_format = call.responseFormat;

    const key = await this.#apiKey();
    const started = performance.now();
    let status: number;
    let text: string;
    let retryAfter: string | null;
    try {
      const res = await fetch(this.#url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          ...(key ? { authorization: `Bearer ${key}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#opts.timeoutMs ?? 60_000),
      });
      status = res.status;
      retryAfter = res.headers.get('retry-after');
      text = await res.text();
    } catch (error) {
      // Timeouts (TimeoutError), refused/reset connections, DNS hiccups: all worth a retry.
      const name = error instanceof Error ? error.name : 'Error';
      throw new TransientError(`model endpoint unreachable: ${name}: ${describe(error)}`, { cause: error });
    }
    const latency = Math.round(performance.now() - started);

    if (status < 200 || status > 299) {
      if (status === 401) this.#key = undefined;
      const message = `model endpoint answered ${status}: ${errorMessage(text)}`;
      if (RETRYABLE_STATUS.has(status) || status >= 500) {
        throw new TransientError(retryAfter ? `${message} (retry after ${retryAfter})` : message);
      }
      throw new ModelCallFailed(message, { code: `http_${status}` });
    }

    let completion: ChatCompletion;
    try {
      completion = z.parse(chatCompletionSchema, JSON.parse(text));
    } catch (cause) {
      // A 200 that is not a chat completion: not an OpenAI-compatible endpoint (wrong base URL?).
      throw new ModelCallFailed(`model endpoint did not return a chat completion: ${clip(text, 200)}`, {
        code: 'bad_response',
        cause,
      });
    }
    const usage: ModelUsage = {
      provider: 'openai',
      model: this.model,
      tokens_in: completion.usage?.prompt_tokens ?? 0,
      tokens_out: completion.usage?.completion_tokens ?? 0,
      latency_ms: latency,
    };
    return { completion, usage };
  }

  #apiKey(): Promise<string | undefined> {
    if (this.#opts.apiKey !== undefined) return Promise.resolve(this.#opts.apiKey);
    const resolve = this.#opts.resolveApiKey;
    if (resolve === undefined) return Promise.resolve(undefined);
    if (this.#key === undefined) {
      const pending = resolve();
      // Do not cache a failure: the next call asks again.
      pending.catch(() => {
        if (this.#key === pending) this.#key = undefined;
      });
      this.#key = pending;
    }
    return this.#key;
  }
}

/** The answer text of a structured call, or why there is none. */
function contentOf(completion: ChatCompletion, ctx: { schemaName: string; usage: ModelUsage }): string {
  const choice = completion.choices[0];
  const content = choice?.message?.content ?? '';
  if (choice?.message?.refusal) {
    throw new ModelOutputInvalid(`model refused to answer ${ctx.schemaName}`, {
      reason: 'refused',
      raw: choice.message.refusal,
      usage: ctx.usage,
    });
  }
  if (choice?.finish_reason === 'length') {
    throw new ModelOutputInvalid(`model answer for ${ctx.schemaName} was cut off at the token limit`, {
      reason: 'max_tokens',
      raw: content,
      usage: ctx.usage,
    });
  }
  if (choice?.finish_reason === 'content_filter') {
    throw new ModelOutputInvalid(`model answer for ${ctx.schemaName} was blocked`, {
      reason: 'refused',
      raw: content,
      usage: ctx.usage,
    });
  }
  return content;
}

/** `{"error": {"message": ...}}` (OpenAI, vLLM, llama.cpp) or the first bytes of whatever came back. */
function errorMessage(body: string): string {
  try {
    const parsed = z
      .object({ error: z.union([z.string(), z.object({ message: z.string() })]) })
      .safeParse(JSON.parse(body));
    if (parsed.success) {
      return clip(typeof parsed.data.error === 'string' ? parsed.data.error : parsed.data.error.message);
    }
  } catch {
    // not JSON: fall through
  }
  return clip(body, 200);
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return clip(`${error.message}${cause}`);
}
