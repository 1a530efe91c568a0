import { readdirSync, readFileSync } from 'node:fs';

/** One process of a tree and its resident memory. */
export interface ProcessMemory {
  readonly pid: number;
  readonly command: string;
  readonly rssBytes: number;
  /** CPU time used so far (user + system), in ms. */
  readonly cpuMs: number;
}

/**
 * Resident memory of a process and all its descendants (Linux `/proc`): the local runtime's Node
 * process (API, engine and every function's worker threads) plus its children — DynamoDB Local's JVM,
 * esbuild's service. Elsewhere only the process itself is counted (`complete: false`).
 */
export function processTreeMemory(root = process.pid): {
  readonly totalBytes: number;
  readonly totalCpuMs: number;
  readonly processes: readonly ProcessMemory[];
  readonly complete: boolean;
} {
  let pids: number[];
  try {
    pids = readdirSync('/proc')
      .filter((entry) => /^\d+$/.test(entry))
      .map(Number);
  } catch {
    const rss = process.memoryUsage().rss;
    const { user, system } = process.cpuUsage();
    return {
      totalBytes: rss,
      totalCpuMs: (user + system) / 1000,
      processes: [{ pid: root, command: 'node', rssBytes: rss, cpuMs: (user + system) / 1000 }],
      complete: false,
    };
  }
  const parentOf = new Map<number, number>();
  const commandOf = new Map<number, string>();
  const cpuOf = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      commandOf.set(pid, stat.slice(stat.indexOf('(') + 1, close));
      const fields = stat.slice(close + 2).split(' ');
      parentOf.set(pid, Number(fields[1]));
      // utime + stime, in clock ticks (USER_HZ, 100 on Linux).
      cpuOf.set(pid, (Number(fields[11]) + Number(fields[12])) * 10);
    } catch {
      // Exited meanwhile.
    }
  }
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parentOf) {
      if (!tree.has(pid) && tree.has(parent)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const processes: ProcessMemory[] = [];
  for (const pid of tree) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
      processes.push({
        pid,
        command: commandOf.get(pid) ?? '?',
        rssBytes: kib * 1024,
        cpuMs: cpuOf.get(pid) ?? 0,
      });
    } catch {
      // Exited meanwhile.
    }
  }
  return {
    totalBytes: processes.reduce((sum, p) => sum + p.rssBytes, 0),
    totalCpuMs: processes.reduce((sum, p) => sum + p.cpuMs, 0),
    processes,
    complete: true,
  };
}
