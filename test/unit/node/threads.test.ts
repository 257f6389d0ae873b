/** The thread count a native engine runs with: the setting or flag, and what `auto` means on a machine. */
import * as assert from 'node:assert/strict';
import { decideThreads, parseThreads } from '../../../src/core/model/threads';
import { physicalCoresFromCpuinfo } from '../../../src/node/threads';
import { threadsFlag } from '../../../src/cli/flags';

describe('threads', () => {
  it('auto uses every physical core on an idle machine, one fewer when the load average says it is busy', () => {
    assert.equal(decideThreads('auto', { physicalCores: 2, loadAverage: 0.3 }).threads, 2);
    assert.equal(decideThreads('auto', { physicalCores: 2, loadAverage: 1.0 }).threads, 1);
    assert.equal(decideThreads('auto', { physicalCores: 8, loadAverage: 3.9 }).threads, 8);
    assert.equal(decideThreads('auto', { physicalCores: 8, loadAverage: 4 }).threads, 7);
    // Never below one thread, whatever the load; a broken load average reads as idle.
    assert.equal(decideThreads('auto', { physicalCores: 1, loadAverage: 12 }).threads, 1);
    assert.equal(decideThreads('auto', { physicalCores: 4, loadAverage: Number.NaN }).threads, 4);
    assert.equal(decideThreads('auto', { physicalCores: 0, loadAverage: 0 }).threads, 1);
  });

  it('says why in one log line', () => {
    assert.equal(decideThreads('auto', { physicalCores: 2, loadAverage: 2.5 }).reason, 'threads: 1 (auto: 2 physical cores, load average 2.50 is at least 1: busy, one core left to the rest)');
    assert.equal(decideThreads('auto', { physicalCores: 2, loadAverage: 0.25 }).reason, 'threads: 2 (auto: 2 physical cores, load average 0.25: not busy)');
    assert.equal(decideThreads(6, { physicalCores: 2, loadAverage: 0 }).reason, 'threads: 6, as set (more than the 2 physical cores)');
  });

  it('a number is used as given, whatever the machine', () => {
    assert.equal(decideThreads(3, { physicalCores: 2, loadAverage: 9 }).threads, 3);
    assert.equal(decideThreads(1, { physicalCores: 16, loadAverage: 0 }).threads, 1);
  });

  it('parses auto and integers in [1, 256], as the setting and the --threads flag take them', () => {
    assert.equal(parseThreads('auto'), 'auto');
    assert.equal(parseThreads(4), 4);
    assert.equal(parseThreads('4'), 4);
    for (const bad of [0, -1, 1.5, '2.5', '', ' ', 'four', 257, null, undefined, true]) assert.equal(parseThreads(bad), undefined, String(bad));
    assert.equal(threadsFlag(undefined), 'auto');
    assert.equal(threadsFlag('3'), 3);
    assert.throws(() => threadsFlag('0'), /--threads must be auto or an integer in \[1, 256\] \(got "0"\)/);
  });

  it('counts physical cores in /proc/cpuinfo, not hyper-threads, across sockets', () => {
    // Two sockets, two cores each, two hyper-threads per core: 8 logical CPUs, 4 physical cores.
    const cpu = (processor: number, socket: number, core: number) => `processor\t: ${processor}\nphysical id\t: ${socket}\ncore id\t\t: ${core}\ncpu cores\t: 2\n`;
    const text = [cpu(0, 0, 0), cpu(1, 0, 1), cpu(2, 1, 0), cpu(3, 1, 1), cpu(4, 0, 0), cpu(5, 0, 1), cpu(6, 1, 0), cpu(7, 1, 1)].join('\n');
    assert.equal(physicalCoresFromCpuinfo(text), 4);
    // ARM kernels name no cores: the caller falls back to the logical count.
    assert.equal(physicalCoresFromCpuinfo('processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n'), undefined);
  });
});
