import { type FormEvent, useCallback, useEffect, useMemo, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { OmnilinkClient, type WorkflowEventBody, type WorkflowSummary } from '../client.ts';
import { useAgentWorkflow } from '../react/use-agent-workflow.ts';
import {
  currentState,
  type Graph,
  type PlanStepView,
  planGraph,
  planSteps,
  stateMachineGraph,
} from './graphs.ts';

/*
 * The local console (`npm start`, /console): the local stand-in for the AWS console's execution
 * view. Signs in with a local user name (a token from the local issuer, as `npm run token` mints),
 * lists the user's workflows, and shows one: its status (live, through the push channel), the
 * timeline of its events, the plan's DAG with each step's state, and the state machine with the
 * state it is in; approve/deny, cancel and redrive call the API. Built on the typed client and the
 * useAgentWorkflow hook, like any React app would be.
 */

const TOKEN_KEY = 'omnilink-console-token';
const USER_KEY = 'omnilink-console-user';

function SignIn({ onToken }: { onToken: (user: string, token: string) => void }) {
  const [user, setUser] = useState('alice');
  const [error, setError] = useState<string>();
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setError(undefined);
    const response = await fetch('/_local/token', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sub: user }),
    });
    const body = (await response.json()) as { token?: string; error?: { message: string } };
    if (!response.ok || !body.token) setError(body.error?.message ?? 'sign-in failed');
    else onToken(user, body.token);
  };
  return (
    <form className="card signin" onSubmit={submit}>
      <h2>Sign in (local users)</h2>
      <p className="hint">Any user name: the local issuer signs a token for it, as npm run token does.</p>
      <input
        data-testid="username"
        value={user}
        onChange={(e) => setUser(e.target.value)}
        aria-label="user name"
      />
      <button data-testid="sign-in" type="submit">
        Sign in
      </button>
      {error && <p className="error">{error}</p>}
    </form>
  );
}

function WorkflowList({
  client,
  selected,
  onSelect,
}: {
  client: OmnilinkClient;
  selected: string | undefined;
  onSelect: (id: string) => void;
}) {
  const [workflows, setWorkflows] = useState<WorkflowSummary[]>([]);
  useEffect(() => {
    let stopped = false;
    // GET /workflows has no push: the list refreshes every 2 s (the selected workflow is live).
    const refresh = async () => {
      try {
        const page = await client.listWorkflows({ limit: 20 });
        if (!stopped) setWorkflows(page.workflows);
      } catch {
        // shown again at the next refresh
      }
    };
    void refresh();
    const timer = setInterval(refresh, 2000);
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  }, [client]);
  return (
    <ul className="list" data-testid="workflow-list">
      {workflows.map((w) => (
        <li key={w.workflow_id} className={w.workflow_id === selected ? 'selected' : ''}>
          <button type="button" onClick={() => onSelect(w.workflow_id)}>
            <span className={`badge ${w.status}`}>{w.status}</span> {w.goal}
            <small>
              {w.workflow_id} · {w.progress.steps_done}/{w.progress.steps_total} steps
            </small>
          </button>
        </li>
      ))}
      {workflows.length === 0 && <li className="hint">No workflows yet.</li>}
    </ul>
  );
}

const BOX_W = 190;
const BOX_H = 34;
const GAP_X = 24;
const GAP_Y = 30;

function GraphSvg({
  graph,
  highlight,
  classOf,
  testId,
}: {
  graph: Graph;
  highlight?: string | undefined;
  classOf: (kind: string, id: string) => string;
  testId: string;
}) {
  const width = graph.width * (BOX_W + GAP_X) + GAP_X;
  const height = graph.layers * (BOX_H + GAP_Y) + GAP_Y;
  const center = (layer: number, column: number, count: number) => {
    const offset = (width - count * (BOX_W + GAP_X) + GAP_X) / 2;
    return { x: offset + column * (BOX_W + GAP_X), y: GAP_Y + layer * (BOX_H + GAP_Y) };
  };
  // Each layer centred on its own nodes, in column order (a node's column may exceed its layer's count).
  const layers = new Map<number, (typeof graph.nodes)[number][]>();
  for (const node of graph.nodes) layers.set(node.layer, [...(layers.get(node.layer) ?? []), node]);
  const position = new Map(
    [...layers.values()].flatMap((nodes) =>
      [...nodes]
        .sort((a, b) => a.column - b.column)
        .map((n, rank) => [n.id, center(n.layer, rank, nodes.length)] as const),
    ),
  );
  return (
    <svg
      data-testid={testId}
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      style={{ maxWidth: '100%', height: 'auto' }}
      role="img"
    >
      <title>{testId}</title>
      <defs>
        <marker
          id={`arrow-${testId}`}
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="6"
          markerHeight="6"
          orient="auto"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" fill="#888" />
        </marker>
      </defs>
      {graph.edges.map((edge) => {
        const from = position.get(edge.from);
        const to = position.get(edge.to);
        if (!from || !to) return null;
        return (
          <line
            key={`${edge.from}->${edge.to}`}
            x1={from.x + BOX_W / 2}
            y1={from.y + BOX_H}
            x2={to.x + BOX_W / 2}
            y2={to.y}
            stroke="#999"
            strokeDasharray={edge.dashed ? '4 3' : undefined}
            markerEnd={`url(#arrow-${testId})`}
          />
        );
      })}
      {graph.nodes.map((node) => {
        const p = position.get(node.id) ?? { x: 0, y: 0 };
        const current = node.id === highlight;
        return (
          <g
            key={node.id}
            data-state={node.id}
            className={`${classOf(node.kind, node.id)}${current ? ' current' : ''}`}
          >
            <rect x={p.x} y={p.y} width={BOX_W} height={BOX_H} rx={8} />
            <text x={p.x + BOX_W / 2} y={p.y + BOX_H / 2 + 4} textAnchor="middle">
              {node.label.length > 28 ? `${node.label.slice(0, 27)}…` : node.label}
            </text>
          </g>
        );
      })}
    </svg>
  );
}

function describe(event: WorkflowEventBody): string {
  switch (event.type) {
    case 'PlanCreated':
      return `plan of ${event.data.plan.steps.length} steps (${event.data.source})`;
    case 'ApprovalRequested':
      return `steps ${JSON.stringify(event.data.step_ids)} wait for an approval`;
    case 'GuardianChecked':
      return event.data.allowed ? 'goal allowed' : 'goal rejected';
    default:
      return ('step_id' in event.data && event.data.step_id) || '';
  }
}

function WorkflowView({
  client,
  workflowId,
  asl,
  onSubmitted,
}: {
  client: OmnilinkClient;
  workflowId: string | undefined;
  asl: Parameters<typeof stateMachineGraph>[0] | undefined;
  onSubmitted: (id: string) => void;
}) {
  const workflow = useAgentWorkflow(client, workflowId ? { workflowId } : {});
  const [goal, setGoal] = useState('Book a flight to Rome with my approval');
  const [busy, setBusy] = useState(false);
  const [notice, setNotice] = useState<string>();
  const steps: PlanStepView[] = useMemo(() => planSteps(workflow.events), [workflow.events]);
  const machine = useMemo(() => (asl ? stateMachineGraph(asl) : undefined), [asl]);
  const state = currentState(workflow.events);
  const act = async (label: string, action: () => Promise<unknown>) => {
    setBusy(true);
    setNotice(undefined);
    try {
      await action();
      setNotice(`${label}: sent`);
    } catch (error) {
      setNotice(`${label}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      setBusy(false);
    }
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    await act('submit', async () => onSubmitted(await workflow.submitGoal(goal)));
  };
  const status = workflow.status;
  return (
    <div className="workflow">
      <form className="card goal" onSubmit={submit}>
        <textarea data-testid="goal" value={goal} onChange={(e) => setGoal(e.target.value)} rows={2} />
        <button data-testid="submit-goal" type="submit" disabled={busy || goal.trim() === ''}>
          Submit goal
        </button>
      </form>
      {workflow.workflowId && (
        <>
          <div className="card header">
            <h2>
              {workflow.workflowId}{' '}
              <span data-testid="status" className={`badge ${status}`}>
                {status}
              </span>
            </h2>
            <p className="hint">
              events arrive by <b data-testid="transport">{workflow.transport ?? '…'}</b>
              {workflow.statusBody && (
                <>
                  {' '}
                  · {workflow.statusBody.progress.steps_done}/{workflow.statusBody.progress.steps_total} steps
                </>
              )}
            </p>
            <div className="actions">
              <button
                data-testid="approve"
                type="button"
                disabled={busy || status !== 'waiting'}
                onClick={() => act('approve', () => workflow.approve(true))}
              >
                Approve
              </button>
              <button
                data-testid="deny"
                type="button"
                disabled={busy || status !== 'waiting'}
                onClick={() => act('deny', () => workflow.approve(false))}
              >
                Deny
              </button>
              <button
                data-testid="cancel"
                type="button"
                disabled={busy || !(status === 'running' || status === 'waiting')}
                onClick={() => act('cancel', () => workflow.cancel())}
              >
                Cancel
              </button>
              <button
                data-testid="redrive"
                type="button"
                disabled={busy || status !== 'failed' || !workflow.workflowId}
                onClick={() => act('redrive', () => client.redrive(workflow.workflowId ?? ''))}
              >
                Redrive
              </button>
            </div>
            {notice && <p className="hint">{notice}</p>}
            {workflow.error && (
              <p className="error">
                {workflow.error.code}: {workflow.error.message}
              </p>
            )}
            {workflow.result !== undefined && (
              <pre data-testid="result" className="result">
                {typeof (workflow.result as { summary?: unknown }).summary === 'string'
                  ? String((workflow.result as { summary: string }).summary)
                  : JSON.stringify(workflow.result, null, 2)}
              </pre>
            )}
          </div>
          <div className="graphs">
            <div className="card">
              <h3>State machine</h3>
              {machine && (
                <GraphSvg
                  graph={machine}
                  highlight={state}
                  testId="state-machine"
                  classOf={(kind) => `asl ${kind}`}
                />
              )}
            </div>
            <div className="card">
              <h3>Plan</h3>
              {steps.length > 0 ? (
                <GraphSvg graph={planGraph(steps)} testId="plan-dag" classOf={(kind) => `step ${kind}`} />
              ) : (
                <p className="hint">No plan yet.</p>
              )}
              <table>
                <thead>
                  <tr>
                    <th>step</th>
                    <th>tool</th>
                    <th>after</th>
                    <th>state</th>
                  </tr>
                </thead>
                <tbody>
                  {steps.map((s) => (
                    <tr key={s.id} data-testid={`step-${s.id}`}>
                      <td>{s.id}</td>
                      <td>{s.tool}</td>
                      <td>{s.dependsOn.join(', ')}</td>
                      <td className={`step ${s.state}`}>{s.state}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
          <div className="card">
            <h3>Timeline</h3>
            <ol className="timeline" data-testid="timeline">
              {workflow.events.map((e) => (
                <li key={e.seq}>
                  <code>#{e.seq}</code> <time>{e.at.slice(11, 23)}</time> <b>{e.type}</b> {describe(e)}
                </li>
              ))}
            </ol>
          </div>
        </>
      )}
    </div>
  );
}

function App() {
  const [user, setUser] = useState(() => sessionStorage.getItem(USER_KEY) ?? undefined);
  const [token, setToken] = useState(() => sessionStorage.getItem(TOKEN_KEY) ?? undefined);
  const [selected, setSelected] = useState<string>();
  const [asl, setAsl] = useState<Parameters<typeof stateMachineGraph>[0]>();
  const client = useMemo(
    () => (token ? new OmnilinkClient({ baseUrl: window.location.origin, token }) : undefined),
    [token],
  );
  useEffect(() => {
    void fetch('/console/workflow.asl.json')
      .then((r) => r.json())
      .then(setAsl);
  }, []);
  const signIn = useCallback((name: string, minted: string) => {
    sessionStorage.setItem(USER_KEY, name);
    sessionStorage.setItem(TOKEN_KEY, minted);
    setUser(name);
    setToken(minted);
  }, []);
  const signOut = () => {
    sessionStorage.removeItem(USER_KEY);
    sessionStorage.removeItem(TOKEN_KEY);
    setUser(undefined);
    setToken(undefined);
    setSelected(undefined);
  };
  return (
    <>
      <header>
        <h1>Omnilink console (local)</h1>
        {user && (
          <span>
            signed in as <b data-testid="user">{user}</b>{' '}
            <button type="button" onClick={signOut}>
              Sign out
            </button>
          </span>
        )}
      </header>
      {!client ? (
        <SignIn onToken={signIn} />
      ) : (
        <main>
          <aside className="card">
            <h3>My workflows</h3>
            <WorkflowList client={client} selected={selected} onSelect={setSelected} />
          </aside>
          <WorkflowView client={client} workflowId={selected} asl={asl} onSubmitted={setSelected} />
        </main>
      )}
    </>
  );
}

const root = document.getElementById('root');
if (root) createRoot(root).render(<App />);
