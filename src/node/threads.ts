/**
 * The machine facts core/model/threads decides from: physical cores (Linux /proc/cpuinfo, else
 * the logical count) and the 1-minute load average, read once when a model loads.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { decideThreads, type ThreadsChoice, type ThreadsDecision } from '../core/model/threads';

/** Distinct (physical id, core id) pairs of a /proc/cpuinfo text; undefined when it names none. */
export function physicalCoresFromCpuinfo(text: string): number | undefined {
  const cores = new Set<string>();
  for (const block of text.split(/\n\s*\n/)) {
    const socket = /^physical id\s*:\s*(\d+)/m.exec(block)?.[1];
    const core = /^core id\s*:\s*(\d+)/m.exec(block)?.[1];
    if (core !== undefined) cores.add(`${socket ?? 0}:${core}`);
  }
  return cores.size > 0 ? cores.size : undefined;
}

/** Physical cores of this machine, capped by the logical CPUs this process may use. */
export function physicalCores(): number {
  const logical = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  let physical: number | undefined;
  try {
    physical = physicalCoresFromCpuinfo(fs.readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    // Not Linux: the logical count is the best guess.
  }
  return Math.max(1, Math.min(physical ?? logical, logical));
}

/** The thread count for a choice on this machine now. */
export function threadsForThisMachine(choice: ThreadsChoice): ThreadsDecision {
  return decideThreads(choice, { physicalCores: physicalCores(), loadAverage: os.loadavg()[0] ?? 0 });
}
