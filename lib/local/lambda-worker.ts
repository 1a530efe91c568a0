import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';

/*
 * One Lambda execution environment of the local runtime (a worker thread started by
 * lib/local/lambda.ts): its own `process.env` (the function's environment and nothing else), its own
 * heap limit (the function's memory), its own module instances and SDK clients. It imports the
 * function's bundle once (the init phase, a cold start) and then runs one invocation at a time.
 * The parent enforces the timeout by terminating the thread, as Lambda kills the sandbox.
 *
 * Plain, erasable TypeScript with Node's built-ins only: Node runs it without a loader.
 */

interface WorkerConfig {
  readonly bundle: string;
  readonly functionName: string;
  readonly arn: string;
  readonly memoryMiB: number;
}

interface InvokeMessage {
  readonly type: 'invoke';
  readonly id: number;
  readonly requestId: string;
  readonly deadline: number;
  /** The event, as JSON (it crosses a JSON boundary, as in Lambda). */
  readonly event: string;
  /** Variables set for this invocation only (test knobs; see LocalRuntimeOptions.invocationEnv). */
  readonly envPatch?: Readonly<Record<string, string>>;
}

const config = workerData as WorkerConfig;
const port = parentPort;
if (!port) throw new Error('lambda-worker.ts runs as a worker thread');

function serializeError(error: unknown): { name: string; message: string; stack?: string } {
  if (error instanceof Error) {
    return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  }
  return { name: 'Error', message: String(error) };
}

type Handler = (event: unknown, context: unknown) => unknown;
let handler: Handler;
const initStarted = performance.now();
try {
  const module: Record<string, unknown> = await import(pathToFileURL(config.bundle).href);
  if (typeof module.handler !== 'function') throw new Error(`${config.bundle} does not export a handler`);
  handler = module.handler as Handler;
  port.postMessage({ type: 'ready', initMs: performance.now() - initStarted });
} catch (error) {
  port.postMessage({ type: 'init-error', error: serializeError(error) });
  throw error;
}

let patched: string[] = [];
port.on('message', async (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  for (const key of patched) delete process.env[key];
  patched = Object.keys(message.envPatch ?? {});
  Object.assign(process.env, message.envPatch ?? {});
  const { requestId, deadline } = message;
  const context = {
    callbackWaitsForEmptyEventLoop: true,
    functionName: config.functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: config.arn,
    memoryLimitInMB: String(config.memoryMiB),
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${config.functionName}`,
    logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
  // This thread's CPU time for the invocation (the runtime reports it per function; it does not bill).
  const cpuBefore = process.threadCpuUsage();
  const cpuUs = () => {
    const used = process.threadCpuUsage(cpuBefore);
    return used.user + used.system;
  };
  try {
    const result = await handler(JSON.parse(message.event), context);
    const value = JSON.stringify(result ?? null);
    port.postMessage({ type: 'result', id: message.id, ok: true, value, cpuUs: cpuUs() });
  } catch (error) {
    port.postMessage({
      type: 'result',
      id: message.id,
      ok: false,
      error: serializeError(error),
      cpuUs: cpuUs(),
    });
  }
});
