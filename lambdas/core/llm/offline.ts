import { screenGoalOffline } from '../offline-guardian.ts';
import { planGoalOffline } from '../offline-planner.ts';
import { type AgentModel, estimateTokens } from './provider.ts';

export interface OfflineModelOptions {
  /** Origin of flights whose goal and context name none. @default 'LON' */
  readonly defaultOrigin?: string;
}

/**
 * The offline "model": deterministic rules and grammar, no network. Everything it produces is labelled
 * `offline` so nobody mistakes it for a model's answer.
 */
export function createOfflineModel(options: OfflineModelOptions = {}): AgentModel {
  return {
    provider: 'offline',
    model: 'offline-rules-v1',
    screenGoal: async ({ goal }) => {
      const verdict = screenGoalOffline(goal);
      return {
        verdict,
        usage: { tokens_in: estimateTokens(goal), tokens_out: estimateTokens(JSON.stringify(verdict)) },
      };
    },
    planGoal: async ({ goal, context }) => {
      const plan = planGoalOffline(
        goal,
        context,
        options.defaultOrigin ? { defaultOrigin: options.defaultOrigin } : {},
      );
      return {
        plan,
        usage: { tokens_in: estimateTokens(goal), tokens_out: estimateTokens(JSON.stringify(plan)) },
      };
    },
  };
}
