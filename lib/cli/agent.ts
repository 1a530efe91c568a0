import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  OmnilinkApiError,
  OmnilinkClient,
  travelResultOf,
  WaitTimeoutError,
  type WorkflowEventBody,
  type WorkflowStatusBody,
} from '../client.ts';

/*
 * The CLI of `npm run agent -- "Book a flight to NYC"` (bin/agent.ts wires it): submits a goal,
 * follows the workflow step by step and prints the result. `--json` prints the final status body
 * only; `--approve` answers approval prompts interactively (`--auto-approve` / `--deny` for
 * scripts). Exit code 0 when completed.
 */

export const usage = `Usage: npm run agent -- [options] "<goal>"
       npm run agent -- [options] --watch <workflow_id>

Options:
  --url <url>               API base URL (env OMNILINK_URL; default http://127.0.0.1:3000)
  --token <jwt>             bearer token (env OMNILINK_TOKEN; locally one is minted for --sub)
  --sub <user>              user of the locally minted token (default cli-user)
  --data-dir <dir>          local data directory holding the issuer key (env LOCAL_DATA_DIR; default .local)
  --context <json>          context object, e.g. '{"home_city":"Paris"}'
  --idempotency-key <key>   Idempotency-Key of the submit (1-64 of A-Za-z0-9_-)
  --approve                 answer approval requests interactively (y/n and a comment)
  --auto-approve            approve every approval request
  --deny                    deny the first approval request (the workflow ends cancelled)
  --comment <text>          comment sent with --auto-approve / --deny
  --watch <workflow_id>     follow an existing workflow instead of submitting one
  --timeout <seconds>       give up waiting after this long (the workflow keeps running)
  --json                    print only the final status body as JSON
  -h, --help                this text

Exit codes: 0 completed · 1 failed, cancelled or rejected · 2 usage · 3 API error · 4 timed out ·
            5 left waiting for an approval · 130 interrupted`;

export const EXIT = {
  completed: 0,
  unsuccessful: 1,
  usage: 2,
  api: 3,
  timeout: 4,
  waiting: 5,
  interrupted: 130,
};

type ApprovalMode = 'none' | 'interactive' | 'approve' | 'deny';

// --- Output ------------------------------------------------------------------------------------

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Palette {
  readonly green: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly bold: (s: string) => string;
  readonly cyan: (s: string) => string;
}

export function palette(enabled: boolean): Palette {
  const wrap = (open: number, close: number) => (s: string) =>
    enabled ? `\x1b[${open}m${s}\x1b[${close}m` : s;
  return {
    green: wrap(32, 39),
    red: wrap(31, 39),
    yellow: wrap(33, 39),
    dim: wrap(2, 22),
    bold: wrap(1, 22),
    cyan: wrap(36, 39),
  };
}

/**
 * Progress on stderr: on a TTY a one-line spinner with a bar, the current step and steps done/total,
 * with finished steps printed above it; otherwise one plain line per change. Silent with --json.
 */
class Progress {
  readonly #out: NodeJS.WriteStream;
  readonly #tty: boolean;
  readonly #quiet: boolean;
  readonly c: Palette;
  #frame = 0;
  #timer: NodeJS.Timeout | undefined;
  #line = '';
  #status: WorkflowStatusBody | undefined;
  #lastPlain = '';
  readonly #started = Date.now();

  constructor(options: { quiet: boolean; out?: NodeJS.WriteStream }) {
    this.#out = options.out ?? process.stderr;
    this.#quiet = options.quiet;
    this.#tty = !options.quiet && this.#out.isTTY === true && process.env.TERM !== 'dumb';
    this.c = palette(this.#tty && process.env.NO_COLOR === undefined);
  }

  /** A line above the spinner (or a plain line). */
  log(text: string): void {
    if (this.#quiet) return;
    if (this.#tty) {
      this.#out.write(`\r\x1b[2K${text}\n`);
      this.#render();
    } else {
      this.#out.write(`${text}\n`);
    }
  }

  start(): void {
    if (!this.#tty || this.#timer) return;
    this.#out.write('\x1b[?25l'); // hide the cursor while the spinner turns
    this.#timer = setInterval(() => {
      this.#frame = (this.#frame + 1) % SPINNER.length;
      this.#render();
    }, 80);
    this.#timer.unref();
    this.#render();
  }

  stop(): void {
    if (!this.#timer) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#out.write('\r\x1b[2K\x1b[?25h');
  }

  update(status: WorkflowStatusBody): void {
    this.#status = status;
    if (this.#quiet) return;
    if (this.#tty) {
      this.#render();
      return;
    }
    const { steps_done, steps_total, current } = status.progress;
    const steps = steps_total === 0 ? 'planning' : `${steps_done}/${steps_total} steps`;
    const plain = `${status.status} · ${steps}${current ? ` · ${current}` : ''}`;
    if (plain !== this.#lastPlain) {
      this.#lastPlain = plain;
      this.#out.write(`  ${plain}\n`);
    }
  }

  #render(): void {
    if (!this.#tty || !this.#timer) return;
    const c = this.c;
    const s = this.#status;
    const elapsed = `${((Date.now() - this.#started) / 1000).toFixed(1)}s`;
    let text: string;
    if (!s) {
      text = `${c.cyan(SPINNER[this.#frame] ?? '')} submitting…`;
    } else {
      const { steps_done: done, steps_total: total, current } = s.progress;
      const width = 20;
      const filled = total > 0 ? Math.round((done / total) * width) : 0;
      const bar = `${c.green('█'.repeat(filled))}${c.dim('░'.repeat(width - filled))}`;
      const label = s.status === 'waiting' ? c.yellow('waiting for approval') : s.status;
      const step = current ? ` · ${c.bold(current)}` : total === 0 ? ' · planning' : '';
      text = `${c.cyan(SPINNER[this.#frame] ?? '')} ${bar} ${done}/${total} ${label}${step} ${c.dim(elapsed)}`;
    }
    if (text === this.#line && this.#frame !== 0) return;
    this.#line = text;
    this.#out.write(`\r\x1b[2K${text}`);
  }
}

/** A short, safe description of a step's output summary (never more than a line). */
export function describeOutput(output: unknown): string {
  if (output === null || typeof output !== 'object') return output === undefined ? '' : String(output);
  const parts: string[] = [];
  for (const [key, value] of Object.entries(output)) {
    if (value === null || value === undefined) continue;
    if (typeof value === 'object') {
      const price = value as Record<string, unknown>;
      if (typeof price.amount === 'number' && typeof price.currency === 'string') {
        parts.push(`${key} ${price.amount} ${price.currency}`);
      }
      continue;
    }
    parts.push(`${key} ${String(value)}`);
  }
  const text = parts.join(' · ');
  return text.length > 100 ? `${text.slice(0, 99)}…` : text;
}

/** Events after which the status line (steps done, waiting) changes: the CLI reads the status then. */
const STATUS_EVENTS = new Set([
  'PlanCreated',
  'StepSucceeded',
  'StepFailed',
  'StepCompensated',
  'ApprovalRequested',
  'ApprovalGranted',
  'ApprovalDenied',
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
]);

/** Keeps the workflow's events as `watch` delivers them and prints the ones that tell the story. */
class EventFollower {
  readonly events: WorkflowEventBody[] = [];

  constructor(private readonly progress: Progress) {}

  /** Records (and prints) one event. */
  record(event: WorkflowEventBody): void {
    this.events.push(event);
    this.#print(event);
  }

  #print(event: WorkflowEventBody): void {
    const c = this.progress.c;
    const data: Record<string, unknown> = event.data;
    const step = typeof data.step_id === 'string' ? data.step_id : '';
    const tool = typeof data.tool === 'string' ? c.dim(`(${data.tool})`) : '';
    const error = errorOfData(data.error);
    switch (event.type) {
      case 'GuardianChecked':
        if (data.allowed === true) this.progress.log(`${c.green('✓')} goal screened by the guardian`);
        break;
      case 'PlanCreated': {
        const total = typeof data.steps_total === 'number' ? data.steps_total : '?';
        const source = data.source === 'cache' ? 'from the plan cache' : 'by the planner';
        this.progress.log(`${c.green('✓')} planned ${total} step${total === 1 ? '' : 's'} ${source}`);
        break;
      }
      case 'StepStarted':
        this.progress.log(`${c.cyan('▸')} ${step} ${tool}`);
        break;
      case 'StepSucceeded': {
        const detail = describeOutput(data.output);
        this.progress.log(`${c.green('✓')} ${step} ${tool}${detail ? ` ${c.dim('—')} ${detail}` : ''}`);
        break;
      }
      case 'StepFailed':
        this.progress.log(`${c.red('✗')} ${step} ${tool} failed${error ? `: ${error}` : ''}`);
        break;
      case 'ApprovalRequested':
        for (const line of describeApproval(event)) this.progress.log(`${c.yellow('?')} ${line}`);
        break;
      case 'ApprovalGranted':
        this.progress.log(`${c.green('✓')} approved`);
        break;
      case 'ApprovalDenied':
        this.progress.log(`${c.red('✗')} denied`);
        break;
      case 'CancelRequested':
        this.progress.log(`${c.yellow('■')} cancel requested`);
        break;
      case 'CompensationStarted':
        this.progress.log(`${c.yellow('↺')} rolling back completed steps`);
        break;
      case 'StepCompensated':
        this.progress.log(`${c.yellow('↺')} ${step} ${tool} undone`);
        break;
      case 'CompensationFailed':
        this.progress.log(`${c.red('✗')} ${step} ${tool} could not be undone${error ? `: ${error}` : ''}`);
        break;
      default:
        break;
    }
  }
}

function errorOfData(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const record = value as Record<string, unknown>;
  const code = typeof record.code === 'string' ? record.code : undefined;
  const message = typeof record.message === 'string' ? record.message : undefined;
  return [code, message].filter(Boolean).join(' — ') || undefined;
}

/** One line per approval of an ApprovalRequested: its prompt and the offer's essentials. */
export function describeApproval(event: WorkflowEventBody): string[] {
  const approvals = event.type === 'ApprovalRequested' ? event.data.approvals : [];
  const lines = approvals.map(({ prompt, details }) => {
    const detail =
      details && typeof details === 'object' ? offerText(details as Record<string, unknown>) : '';
    return `${prompt}${detail ? ` (${detail})` : ''}`;
  });
  return lines.length > 0 ? lines : ['approval requested'];
}

function offerText(details: Record<string, unknown>): string {
  const price = details.price as Record<string, unknown> | undefined;
  const parts = [
    details.carrier,
    details.flight_number,
    details.hotel_name,
    typeof details.nights === 'number'
      ? `${details.nights} night${details.nights === 1 ? '' : 's'}`
      : undefined,
    price && typeof price.amount === 'number' ? `${price.amount} ${String(price.currency)}` : undefined,
  ].filter((part): part is string => typeof part === 'string' && part.length > 0);
  return parts.join(' · ');
}

function errorText(error: unknown): string {
  if (error instanceof OmnilinkApiError) {
    return `${error.status || 'no answer'} ${error.code}: ${error.message}${error.reason ? ` (${error.reason})` : ''}`;
  }
  return error instanceof Error ? error.message : String(error);
}

/** The result, in words: summary, bookings with confirmation codes, or why it did not complete. */
export function renderResult(status: WorkflowStatusBody, c: Palette): string {
  const lines: string[] = [];
  const mark =
    status.status === 'completed'
      ? c.green('✔ completed')
      : status.status === 'waiting' || status.status === 'running'
        ? c.yellow(`… ${status.status}`)
        : c.red(`✘ ${status.status}`);
  lines.push(`${mark}  ${c.dim(status.workflow_id)}`);
  const travel = travelResultOf(status);
  if (travel) {
    lines.push(`  ${travel.summary}`);
    for (const booking of travel.bookings) {
      const where =
        booking.kind === 'flight'
          ? `flight ${booking.origin_name ? `${booking.origin_name} → ` : 'to '}${booking.city_name ?? booking.city ?? ''}`
          : `${booking.kind} in ${booking.city_name ?? booking.city ?? ''}`;
      const price = booking.price ? `  ${booking.price.amount} ${booking.price.currency}` : '';
      lines.push(`  • ${c.bold(booking.confirmation_code)}  ${where}${price}  ${c.dim(booking.status)}`);
    }
  } else if (status.result !== undefined) {
    lines.push(`  result: ${JSON.stringify(status.result)}`);
  }
  if (status.error) lines.push(`  error: ${status.error.code} — ${status.error.message}`);
  if (status.compensated && status.compensated.length > 0) {
    lines.push(`  rolled back: ${status.compensated.join(', ')}`);
  }
  return lines.join('\n');
}

// --- Arguments and token -----------------------------------------------------------------------

export interface Options {
  readonly goal?: string;
  readonly watch?: string;
  readonly url: string;
  readonly json: boolean;
  readonly approval: ApprovalMode;
  readonly comment?: string;
  readonly idempotencyKey?: string;
  readonly context?: Record<string, unknown>;
  readonly timeoutMs?: number;
  readonly token?: string;
  readonly sub: string;
  readonly dataDir: string;
}

export class UsageError extends Error {}

/** The options of `argv` (`help` for -h), or a UsageError. */
export function parseOptions(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Options | 'help' {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      url: { type: 'string' },
      token: { type: 'string' },
      sub: { type: 'string', default: 'cli-user' },
      'data-dir': { type: 'string' },
      context: { type: 'string' },
      'idempotency-key': { type: 'string' },
      approve: { type: 'boolean', default: false },
      'auto-approve': { type: 'boolean', default: false },
      deny: { type: 'boolean', default: false },
      comment: { type: 'string' },
      watch: { type: 'string' },
      timeout: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const goal = positionals.join(' ').trim();
  if (values.watch === undefined && goal === '') throw new UsageError('a goal (or --watch <id>) is required');
  if (values.watch !== undefined && goal !== '') throw new UsageError('give a goal or --watch, not both');
  const modes = [values.approve, values['auto-approve'], values.deny].filter(Boolean).length;
  if (modes > 1) throw new UsageError('--approve, --auto-approve and --deny exclude each other');
  const approval: ApprovalMode = values.approve
    ? 'interactive'
    : values['auto-approve']
      ? 'approve'
      : values.deny
        ? 'deny'
        : 'none';
  let context: Record<string, unknown> | undefined;
  if (values.context !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(values.context);
    } catch {
      throw new UsageError('--context must be a JSON object');
    }
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      throw new UsageError('--context must be a JSON object');
    }
    context = parsed as Record<string, unknown>;
  }
  let timeoutMs: number | undefined;
  if (values.timeout !== undefined) {
    const seconds = Number(values.timeout);
    if (!Number.isFinite(seconds) || seconds <= 0)
      throw new UsageError('--timeout must be a positive number');
    timeoutMs = seconds * 1000;
  }
  const root = fileURLToPath(new URL('../..', import.meta.url));
  return {
    ...(goal !== '' ? { goal } : {}),
    ...(values.watch !== undefined ? { watch: values.watch } : {}),
    url: values.url ?? env.OMNILINK_URL ?? 'http://127.0.0.1:3000',
    json: values.json,
    approval,
    ...(values.comment !== undefined ? { comment: values.comment } : {}),
    ...(values['idempotency-key'] !== undefined ? { idempotencyKey: values['idempotency-key'] } : {}),
    ...(context ? { context } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...((values.token ?? env.OMNILINK_TOKEN) ? { token: values.token ?? env.OMNILINK_TOKEN } : {}),
    sub: values.sub,
    dataDir: values['data-dir'] ?? env.LOCAL_DATA_DIR ?? join(root, '.local'),
  };
}

export function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === '127.0.0.1' || host === 'localhost' || host === '[::1]' || host === '::1';
  } catch {
    return false;
  }
}

/** The given token; locally, one minted by the local issuer (as `npm run token` does). */
async function resolveToken(options: Options): Promise<string> {
  if (options.token) return options.token;
  if (!isLoopback(options.url)) {
    throw new UsageError(`a token is required for ${options.url}: --token or OMNILINK_TOKEN`);
  }
  const { LocalIssuer } = await import('../local/jwt.ts');
  const issuer = await LocalIssuer.load(join(options.dataDir, 'issuer'));
  return issuer.sign(options.sub, { ttlSeconds: 3600 });
}

// --- Approval ------------------------------------------------------------------------------------

/** Asks y/n (and a comment) on stderr; undefined when stdin ends without an answer. */
async function askApproval(
  progress: Progress,
  request: WorkflowEventBody,
  showRequest: boolean,
): Promise<{ approved: boolean; comment?: string } | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: process.stdin.isTTY });
  const closed = new Promise<undefined>((resolve) => rl.once('close', () => resolve(undefined)));
  // Ctrl+C at the prompt: no answer (the workflow keeps waiting).
  rl.once('SIGINT', () => rl.close());
  try {
    // Without --json the event follower has already printed what is to be approved.
    if (showRequest) {
      for (const line of describeApproval(request))
        process.stderr.write(`${progress.c.yellow('?')} ${line}\n`);
    }
    const answer = await Promise.race([rl.question('Approve? [y/N] '), closed]);
    if (answer === undefined) return undefined;
    const approved = /^y(es)?$/i.test(answer.trim());
    const comment = await Promise.race([rl.question('Comment (optional): '), closed]);
    return { approved, ...(comment?.trim() ? { comment: comment.trim() } : {}) };
  } finally {
    rl.close();
  }
}

// --- Main --------------------------------------------------------------------------------------

/** Runs the CLI on `argv` (without node and the script); resolves to the exit code. */
export async function runAgent(argv: readonly string[]): Promise<number> {
  let options: Options | 'help';
  try {
    options = parseOptions(argv);
  } catch (error) {
    console.error(`${error instanceof Error ? error.message : String(error)}\n\n${usage}`);
    return EXIT.usage;
  }
  if (options === 'help') {
    console.log(usage);
    return 0;
  }

  const progress = new Progress({ quiet: options.json });
  const c = progress.c;
  const controller = new AbortController();
  const onSigint = () => controller.abort(new Error('interrupted'));
  process.once('SIGINT', onSigint);
  const signal = controller.signal;
  let workflowId = options.watch;

  const fail = (code: number, error: unknown): number => {
    progress.stop();
    if (options.json) {
      const body =
        error instanceof OmnilinkApiError
          ? {
              error: {
                status: error.status,
                code: error.code,
                message: error.message,
                ...(error.reason ? { reason: error.reason } : {}),
                ...(error.issues ? { issues: error.issues } : {}),
                ...(error.retryAfterSeconds !== undefined
                  ? { retry_after_seconds: error.retryAfterSeconds }
                  : {}),
              },
              ...(workflowId ? { workflow_id: workflowId } : {}),
            }
          : { error: { code: 'cli_error', message: errorText(error) } };
      console.log(JSON.stringify(body, null, 2));
    } else {
      console.error(`${c.red('✘')} ${errorText(error)}`);
    }
    return code;
  };

  try {
    const token = await resolveToken(options);
    const client = new OmnilinkClient({ baseUrl: options.url, token, userAgent: 'omnilink-cli/0.1' });
    progress.start();
    if (workflowId === undefined) {
      const accepted = await client.submitGoal(options.goal ?? '', {
        ...(options.context ? { context: options.context } : {}),
        ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
        signal,
      });
      workflowId = accepted.workflow_id;
      progress.log(`${c.green('✓')} accepted ${c.bold(workflowId)}`);
    } else {
      progress.log(`following ${c.bold(workflowId)}`);
    }
    const id = workflowId;
    const follower = new EventFollower(progress);
    let hinted = false;
    const show = (s: WorkflowStatusBody) => {
      progress.update(s);
      if (s.status === 'waiting' && options.approval === 'none' && !hinted) {
        hinted = true;
        progress.log(
          `${c.yellow('?')} waiting for an approval: answer it with --approve (or POST /workflows/${id}/signals/approval)`,
        );
      }
    };
    let status = await client.getStatus(id, { signal });
    show(status);

    // Every event as it is appended (push, or polling where the channel is unavailable), in order,
    // to the terminal one. The status line is refreshed on the events that change it.
    const timeout = options.timeoutMs === undefined ? undefined : AbortSignal.timeout(options.timeoutMs);
    const watchSignal = timeout ? AbortSignal.any([signal, timeout]) : signal;
    try {
      for await (const event of client.watch(id, { signal: watchSignal })) {
        follower.record(event);
        if (!STATUS_EVENTS.has(event.type)) continue;
        status = await client.getStatus(id, { signal: watchSignal });
        show(status);
        if (event.type !== 'ApprovalRequested' || status.status !== 'waiting') continue;
        if (options.approval === 'none') continue;

        // Waiting for an approval, and told to answer it.
        let answer: { approved: boolean; comment?: string } | undefined;
        if (options.approval === 'interactive') {
          progress.stop();
          answer = await askApproval(progress, event, options.json);
          progress.start();
          if (answer === undefined) {
            progress.stop();
            if (options.json) console.log(JSON.stringify(status, null, 2));
            else console.log(`${renderResult(status, c)}\n  no answer given: the workflow keeps waiting`);
            return EXIT.waiting;
          }
        } else {
          answer = {
            approved: options.approval === 'approve',
            ...(options.comment !== undefined ? { comment: options.comment } : {}),
          };
        }
        try {
          await client.signal(id, answer, { signal });
        } catch (error) {
          if (!(error instanceof OmnilinkApiError) || error.code !== 'not_waiting') throw error;
          progress.log(`  the approval was already answered or has expired`);
        }
      }
    } catch (error) {
      if (timeout?.aborted && !signal.aborted) throw new WaitTimeoutError(id, options.timeoutMs ?? 0, status);
      throw error;
    }
    status = await client.getStatus(id, { signal });

    progress.stop();
    if (options.json) console.log(JSON.stringify(status, null, 2));
    else console.log(renderResult(status, c));
    return status.status === 'completed' ? EXIT.completed : EXIT.unsuccessful;
  } catch (error) {
    if (signal.aborted) {
      progress.stop();
      if (!options.json && workflowId) {
        console.error(
          `\nstopped following ${workflowId}; it keeps running. Follow it again: npm run agent -- --watch ${workflowId}`,
        );
      }
      return EXIT.interrupted;
    }
    if (error instanceof WaitTimeoutError) return fail(EXIT.timeout, error);
    if (error instanceof UsageError) {
      progress.stop();
      console.error(`${error.message}\n\n${usage}`);
      return EXIT.usage;
    }
    return fail(EXIT.api, error);
  } finally {
    progress.stop(); // shows the cursor again, whatever happened
    process.off('SIGINT', onSigint);
  }
}
