import { approvalSignalBodySchema } from '#domain/api/requests.ts';
import { controlPorts } from '#middleware/control.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { apiRoute, bodyOf, json, jsonBody, workflowRequest } from '#middleware/http.ts';
import { type DecideApprovalPorts, decideApproval } from '#usecases/decide-approval.ts';

/** POST /workflows/{id}/signals/approval `{"approved", "comment"?}` — answers a pending approval (decide-approval.ts). */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV));

export const ports: DecideApprovalPorts = controlPorts(env);

export const handler = apiRoute()
  .use(jsonBody())
  .handler(async (event) => {
    const body = () => bodyOf(event, approvalSignalBodySchema);
    return json(202, await decideApproval({ ...workflowRequest(event), body }, ports));
  });
