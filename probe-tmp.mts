import { startLocalRuntime } from './lib/local/runtime.ts';
const stats = new Map<string, { n: number; ms: number }>();
const rt = await startLocalRuntime({ port: 0, inMemory: true, env: { LOG_LEVEL: 'ERROR', RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000' },
  wrapHandler: (name, h) => async (e, c) => { const t = performance.now(); try { return await h(e, c); } finally { const s = stats.get(name) ?? { n: 0, ms: 0 }; s.n++; s.ms += performance.now() - t; stats.set(name, s); } } });
const token = await rt.token('u');
const post = async (i: number) => { const r = await fetch(`${rt.baseUrl}/omnilink-agent`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': `k${i}` }, body: JSON.stringify({ goal: 'Book a flight to NYC' }) }); const b = await r.json() as any; await rt.waitForExecution(b.workflow_id, 600000); };
await post(-1);
stats.clear();
const N = Number(process.env.N ?? 200), C = Number(process.env.C ?? 40);
let next = 0; const t0 = performance.now();
await Promise.all(Array.from({ length: C }, async () => { for (let i = next++; i < N; i = next++) await post(i); }));
const wall = (performance.now() - t0) / 1000;
console.log('wf/s', (N / wall).toFixed(1), 'wall', wall.toFixed(1));
for (const [k, v] of stats) console.log(k, v.n, 'avg ms', (v.ms / v.n).toFixed(1));
await rt.stop();
