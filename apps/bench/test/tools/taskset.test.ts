import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { cpulistParse, cpumaskParse } from '../../src/tools/taskset.js';
import type { CommandResult } from '../../src/types.js';
import { sh as labSh } from '../labShell.js';

const sh = (lab: Lab, line: string, board: 'rc' | 'ep' = 'rc'): CommandResult => labSh(lab, board, line);
const TRY = "Try 'taskset --help' for more information.\n";
const set = (...cpus: number[]): Set<number> => new Set(cpus);

describe('taskset (util-linux 2.38.1)', () => {
  it('parses masks as cpumask_parse (0x prefix, single commas skipped, bits past 64 dropped) and lists as cpulist_parse (ranges, strides)', () => {
    expect(cpumaskParse('03')).toEqual(set(0, 1));
    expect(cpumaskParse('0x30')).toEqual(set(4, 5));
    expect(cpumaskParse('1,0')).toEqual(set(4));
    expect(cpumaskParse('1,')).toEqual(set(0));
    expect(cpumaskParse('0x')).toEqual(set());
    expect(cpumaskParse('1'.padEnd(18, '0'))).toEqual(set());
    for (const bad of [',1', '1,,0', '0X1', 'g', '-1']) expect(cpumaskParse(bad)).toBeNull();
    expect(cpulistParse('0,3,7-11')).toEqual(set(0, 3, 7, 8, 9, 10, 11));
    expect(cpulistParse('0-31:2')?.size).toBe(16);
    expect(cpulistParse('0-1:1,5')).toEqual(set(0, 1, 5));
    expect(cpulistParse('0x,1')).toEqual(set(0, 1));
    expect(cpulistParse('60-70')).toEqual(set(60, 61, 62, 63));
    for (const bad of ['0,', '3-1', '0-3:0', '0-x', '', 'a', '1-', '2x']) expect(cpulistParse(bad)).toBeNull();
  });

  it('property: a mask and the list of the same CPUs name the same set', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 31 }), { minLength: 1 }), (cpus) => {
        const mask = cpus.reduce((m, c) => m | (1 << c), 0) >>> 0;
        expect(cpumaskParse(mask.toString(16))).toEqual(new Set(cpus));
        expect(cpulistParse(cpus.join(','))).toEqual(new Set(cpus));
      }),
    );
  });

  it('runs the command with the affinity: nproc counts it, and the tasks it starts run on those CPUs only; iperf3 -A overrides it', () => {
    const lab = bootLab({ seed: 2 });
    expect(sh(lab, 'taskset -c 2 nproc')).toEqual({ stdout: '1\n', stderr: '', status: 0 });
    expect(sh(lab, 'taskset f0 nproc').stdout).toBe('4\n');
    expect(sh(lab, 'taskset -c 0-7:2 nproc --all').stdout).toBe('8\n');
    expect(sh(lab, 'taskset 0x3 sudo nproc').stdout).toBe('2\n');
    expect(sh(lab, 'taskset -c 3 iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'taskset 0x60 iperf3 -c 10.0.0.1 -t 1 -i 0', 'ep').status).toBe(0);
    const ranOn = (b: 'rc' | 'ep', name: string): number[] =>
      lab.boards[b].host.cpus.filter((c) => (c.usageByTask().get(name) ?? 0) > 0).map((c) => c.id);
    expect(ranOn('rc', 'iperf3')).toEqual([3]);
    expect(ranOn('ep', 'iperf3').every((c) => c === 5 || c === 6)).toBe(true);
    expect(ranOn('ep', 'iperf3').length).toBeGreaterThan(0);
    // -A is iperf3's own sched_setaffinity, over the one it inherited.
    const lab2 = bootLab({ seed: 2 });
    expect(sh(lab2, 'taskset -c 3 iperf3 -s -D -A 4').status).toBe(0);
    expect(sh(lab2, 'taskset -c 1 ping -c 3 -i 0.2 -q 10.0.0.1', 'ep').status).toBe(0);
    expect(sh(lab2, 'iperf3 -c 10.0.0.1 -t 1 -i 0', 'ep').status).toBe(0);
    expect(lab2.boards.rc.host.cpus.filter((c) => (c.usageByTask().get('iperf3') ?? 0) > 0).map((c) => c.id)).toEqual([4]);
    expect(lab2.boards.ep.host.cpus.filter((c) => (c.usageByTask().get('ping') ?? 0) > 0).map((c) => c.id)).toEqual([1]);
  });

  it('a job: `taskset … iperf3 -c … &` runs in the background as iperf3 would; a command the lab cannot background is refused by its name', () => {
    const lab = bootLab({ seed: 3 });
    expect(sh(lab, 'iperf3 -s -D').status).toBe(0);
    expect(sh(lab, 'taskset -c 2 iperf3 -c 10.0.0.1 -t 1 &', 'ep')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'jobs', 'ep').stdout).toMatch(/^\[1\]\+ {2}Running +taskset -c 2 iperf3 -c 10\.0\.0\.1 -t 1 &?\n$/);
    const waited = sh(lab, 'wait', 'ep');
    expect(waited.status).toBe(0);
    expect(waited.stdout).toContain('iperf Done.');
    expect(sh(lab, 'taskset 1 nproc &').stderr).toMatch(/^bash: the lab runs only .* in the background/);
  });

  it('refuses what util-linux refuses, with its messages and exit status, and changes nothing', () => {
    const lab = bootLab({ seed: 4 });
    const forks = lab.boards.rc.host.totalForks;
    expect(sh(lab, 'taskset 100 nproc')).toEqual({ stdout: '', stderr: `taskset: failed to set pid ${forks + 1}'s affinity: Invalid argument\n`, status: 1 });
    expect(sh(lab, 'taskset -c 8-15 nproc').stderr).toMatch(/^taskset: failed to set pid \d+'s affinity: Invalid argument\n$/);
    expect(sh(lab, 'taskset zz nproc')).toEqual({ stdout: '', stderr: 'taskset: failed to parse CPU mask: zz\n', status: 1 });
    expect(sh(lab, 'taskset -c 0-x nproc')).toEqual({ stdout: '', stderr: 'taskset: failed to parse CPU list: 0-x\n', status: 1 });
    expect(sh(lab, 'taskset 1 nosuch')).toEqual({ stdout: '', stderr: 'taskset: failed to execute nosuch: No such file or directory\n', status: 127 });
    for (const builtin of ['cd /', 'jobs', 'wait', 'help']) expect(sh(lab, `taskset 1 ${builtin}`).status).toBe(127);
    expect(sh(lab, 'taskset -c 1 -- nproc')).toEqual({ stdout: '', stderr: 'taskset: failed to execute --: No such file or directory\n', status: 127 });
    expect(sh(lab, 'taskset -- 1 nproc').stdout).toBe('1\n');
    for (const usage of ['taskset', 'taskset 1', 'taskset -c']) expect(sh(lab, usage)).toEqual({ stdout: '', stderr: `taskset: bad usage\n${TRY}`, status: 1 });
    expect(sh(lab, 'taskset -x 1 nproc')).toEqual({ stdout: '', stderr: `taskset: invalid option -- 'x'\n${TRY}`, status: 1 });
    expect(sh(lab, 'taskset --frob 1 nproc')).toEqual({ stdout: '', stderr: `taskset: unrecognized option '--frob'\n${TRY}`, status: 1 });
    expect(sh(lab, 'taskset -p 700')).toMatchObject({ stdout: '', status: 1 });
    expect(sh(lab, 'taskset -p 700').stderr).toMatch(/^taskset: -p: the lab does not model PIDs/);
    expect(sh(lab, 'taskset -V')).toEqual({ stdout: 'taskset from util-linux 2.38.1\n', stderr: '', status: 0 });
    const help = sh(lab, 'taskset --help');
    expect(help.status).toBe(0);
    expect(help.stdout.startsWith('Usage: taskset [options] [mask | cpu-list] [pid|cmd [args...]]\n\n\nShow or change the CPU affinity of a process.\n\nOptions:\n -a, --all-tasks')).toBe(true);
    expect(help.stdout.endsWith('    e.g. 0-31:2 is equivalent to mask 0x55555555\n\nFor more details see taskset(1).\n')).toBe(true);
    expect(sh(lab, 'taskset -c 1 sudo -x nproc')).toMatchObject({ stderr: expect.stringMatching(/^sudo: invalid option -- 'x'\nusage: sudo/) as string, status: 1 });
    expect(lab.boards.rc.host.totalForks).toBe(forks);
  });

  it('property: any words before `nproc` — never throws; exits 0 with a count of 1..8, or 1 / 127 with a taskset message and nothing on stdout', () => {
    const lab = bootLab({ seed: 5 });
    const words = ['-c', '-a', '-p', '-h', '-V', '--', '--cpu-list', '-ca', '0', '1', '0x3', 'ff', '100', '0-3', '0-7:2', '3-1', ',', '1,', 'zz', ''];
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.constantFrom(...words), fc.string({ maxLength: 4 }).filter((w) => !/[\s'"\\$&|<>;(){}*?[\]~`#!]/.test(w))), { maxLength: 4 }), (args) => {
        const line = ['taskset', ...args.map((a) => (a === '' ? "''" : a)), 'nproc'].join(' ');
        const r = sh(lab, line);
        expect([0, 1, 127]).toContain(r.status);
        const n = Number(r.stdout);
        expect(r.status !== 0 || r.stdout.startsWith('Usage: taskset') || r.stdout.startsWith('taskset from') || (n >= 1 && n <= 8)).toBe(true);
        expect(r.status === 0 || (r.stdout === '' && /^(taskset|sudo): /.test(r.stderr))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
