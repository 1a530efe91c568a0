import * as z from '#domain/zod.ts';
import { controlPorts } from '#middleware/control.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { apiRoute, json, workflowRequest } from '#middleware/http.ts';
import { type CancelPorts, cancelWorkflow } from '#usecases/cancel.ts';

/** POST /workflows/{id}/cancel — cooperative cancel (cancel.ts). */

const env = parseEnv(
  z.partial(
    envSchema(...WORKFLOW_LOG_ENV, 'STATE_MACHINE_ARN'),
    // Without it a failed execution is not redriven into its cancellation (the cancel is recorded).
    { STATE_MACHINE_ARN: true },
  ),
);

export const ports: CancelPorts = { ...controlPorts(env), stateMachineArn: env.STATE_MACHINE_ARN };

export const handler = apiRoute().handler(async (event) =>
  json(202, await cancelWorkflow(workflowRequest(event), ports)),
);
