import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { applyGuardrail, type GuardrailVerdict } from './bedrock.ts';
import type { LlmConfig } from './config.ts';
import type { ProviderDeps } from './providers.ts';

/** A guardrail check bound to the configured guardrail; undefined when none is configured. */
export type GuardrailCheck = (text: string, source?: 'INPUT' | 'OUTPUT') => Promise<GuardrailVerdict>;

/** The configured Bedrock guardrail as a function, or undefined (no BEDROCK_GUARDRAIL_ID). */
export function createGuardrailCheck(
  config: LlmConfig,
  deps: Pick<ProviderDeps, 'bedrockClient'> = {},
): GuardrailCheck | undefined {
  const guardrail = config.bedrock.guardrail;
  if (guardrail === undefined) return undefined;
  const client = deps.bedrockClient ?? new BedrockRuntimeClient({});
  return (text, source = 'INPUT') =>
    applyGuardrail(client, { guardrailId: guardrail.id, guardrailVersion: guardrail.version, text, source });
}
