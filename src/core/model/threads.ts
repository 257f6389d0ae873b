/**
 * How many threads a native CPU engine runs with: the `samplingLab.threads` setting or `--threads`
 * flag (`auto` or N), and what `auto` means on this machine at load time. Pure: the caller reads
 * the cores and the load average and logs the reason this returns.
 */

export type ThreadsChoice = 'auto' | number;

/** The most threads a setting may ask for (beyond any CPU we would run on; a typo guard). */
export const MAX_THREADS = 256;

/** Parses a setting or flag value: "auto", or an integer in [1, MAX_THREADS]; undefined when it is neither. */
export function parseThreads(value: unknown): ThreadsChoice | undefined {
  if (value === 'auto') return 'auto';
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_THREADS ? n : undefined;
}

export interface ThreadsDecision {
  threads: number;
  /** One line for the log: the choice and why. */
  reason: string;
}

/**
 * The thread count for a choice. `auto` is one thread per physical core (hyper-threads share a
 * core's memory bandwidth, which decoding is bound by), minus one when the machine is busy: the
 * 1-minute load average is at least half the physical cores (at least 1). Measured on 2 shared
 * cores (issue #17): 2 threads ran at 0.49-0.56x of 1 thread when both cores were busy, 1.1-1.2x
 * when they were idle, so a thread that must wait for a busy core costs more than it brings.
 */
export function decideThreads(choice: ThreadsChoice, machine: { physicalCores: number; loadAverage: number }): ThreadsDecision {
  const cores = Math.max(1, Math.floor(machine.physicalCores));
  const load = Number.isFinite(machine.loadAverage) && machine.loadAverage > 0 ? machine.loadAverage : 0;
  if (choice !== 'auto') {
    const over = choice > cores ? ` (more than the ${cores} physical cores)` : '';
    return { threads: choice, reason: `threads: ${choice}, as set${over}` };
  }
  const busy = load >= Math.max(1, cores / 2);
  const threads = busy ? Math.max(1, cores - 1) : cores;
  const why = busy
    ? `load average ${load.toFixed(2)} is at least ${Math.max(1, cores / 2)}: busy, one core left to the rest`
    : `load average ${load.toFixed(2)}: not busy`;
  return { threads, reason: `threads: ${threads} (auto: ${cores} physical core${cores === 1 ? '' : 's'}, ${why})` };
}
