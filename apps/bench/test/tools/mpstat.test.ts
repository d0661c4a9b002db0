import { SOFTIRQ_VECTORS } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { bootLab, type Lab } from '../../src/lab/lab.js';
import { takeJobOutput } from '../../src/tools/jobs.js';
import { utilisation } from '../../src/tools/system.js';
import { sh } from '../labShell.js';


/** A lab as `ntb-bench lab` boots it: the seed's setup raises net.core.[rw]mem_max for its 512M socket buffers. */
const seedLab = (seed: number): Lab => bootLab({ seed, sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 } });

const TCP = 'sudo iperf3 -Z -c 10.0.0.1 -l 65480 -w 512M -P 4';
const CPU_HEADER = /^(\S+) +CPU +%usr +%nice +%sys %iowait +%irq +%soft +%steal +%guest +%gnice +%idle$/;
/** A CPU row of mpstat -u: label, CPU (or all) and its ten percentages. */
function cpuRows(text: string): { label: string; cpu: string; soft: number; idle: number; sys: number; sum: number }[] {
  return text
    .split('\n')
    .map((l) => /^(\S+) +(all|\d+)((?: +\d+\.\d\d){10})$/.exec(l))
    .filter((m) => m !== null)
    .map((m) => {
      const v = (m[3] as string).trim().split(/ +/).map(Number);
      return { label: m[1] as string, cpu: m[2] as string, sys: v[2] as number, soft: v[5] as number, idle: v[9] as number, sum: v.reduce((a, b) => a + b, 0) };
    });
}

/** The /proc/softirqs row of `vector`: its count per CPU. */
function softirqRow(text: string, vector: string): number[] {
  const line = text.split('\n').find((l) => l.trimStart().startsWith(`${vector}:`)) ?? '';
  return line.split(':')[1]?.trim().split(/ +/).map(Number) ?? [];
}

describe('/proc/stat, /proc/softirqs and /proc/uptime', () => {
  it('print the kernel layouts, and their totals agree with each other and with /proc/interrupts', () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    sh(lab, 'ep', `${TCP} -t 2`);
    const stat = sh(lab, 'rc', 'cat /proc/stat').stdout.split('\n');
    const n = lab.boards.rc.host.cpus.length;
    expect(stat[0]).toMatch(/^cpu {2}0 0 \d+ \d+ 0 0 \d+ 0 0 0$/);
    for (let i = 0; i < n; i++) expect(stat[i + 1]).toMatch(new RegExp(`^cpu${i}( \\d+){10}$`));
    const fields = (l: string | undefined): number[] => (l ?? '').split(/ +/).slice(1).map(Number);
    // The cpu line converts the summed nanoseconds: at most a tick per CPU above the sum of the cpuN lines.
    const total = fields(stat[0]);
    const perCpu = stat.slice(1, n + 1).map(fields);
    total.forEach((t, k) => {
      const s = perCpu.reduce((a, f) => a + (f[k] ?? 0), 0);
      expect(t).toBeGreaterThanOrEqual(s);
      expect(t).toBeLessThanOrEqual(s + n);
    });
    // Two seconds of 8 CPUs and the seconds before: the ticks add up to the uptime on each CPU.
    const uptime = sh(lab, 'rc', 'cat /proc/uptime').stdout;
    expect(uptime).toMatch(/^\d+\.\d\d \d+\.\d\d\n$/);
    const up = Number(uptime.split(' ')[0]);
    for (const f of perCpu) expect(Math.abs(f.reduce((a, b) => a + b, 0) / 100 - up)).toBeLessThanOrEqual(0.05);
    const intr = fields(stat[n + 1]);
    expect(stat[n + 1]).toMatch(/^intr \d+/);
    const interrupts = sh(lab, 'rc', 'cat /proc/interrupts').stdout;
    // A line's counts follow its colon: n of them on an IRQ or IPI row, one on Err's.
    const lineSums = new Map(
      interrupts
        .split('\n')
        .slice(1)
        .filter((l) => l !== '')
        .map((l) => [l.slice(0, l.indexOf(':')).trim(), l.slice(l.indexOf(':') + 1).trim().split(/ +/).slice(0, n).map(Number).filter(Number.isFinite).reduce((x, y) => x + y, 0)] as const),
    );
    expect([...lineSums.keys()].slice(-9)).toEqual(['IPI0', 'IPI1', 'IPI2', 'IPI3', 'IPI4', 'IPI5', 'IPI6', 'IPI7', 'Err']);
    expect(intr[0]).toBe([...lineSums.values()].reduce((a, b) => a + b, 0));
    expect(intr[0]).toBeGreaterThan(100);
    expect(intr.slice(1).reduce((a, b) => a + b, 0)).toBe(intr[0]);
    // The IPIs are IRQs 1-8 (the GIC's SGIs, allocated first): intr's fields from its second on.
    for (let i = 0; i < 8; i++) expect(intr[2 + i]).toBe(lineSums.get(`IPI${i}`));
    expect(lineSums.get('IPI1')).toBeGreaterThan(0);
    expect(stat.slice(n + 2, n + 7).join('\n')).toMatch(/^ctxt \d+\nbtime 1795305600\nprocesses \d+\nprocs_running [1-9]\d*\nprocs_blocked 0$/);
    // The softirq line is the column sums of /proc/softirqs.
    const softirqs = sh(lab, 'rc', 'cat /proc/softirqs').stdout;
    expect(softirqs.split('\n')[0]).toBe(`${' '.repeat(20)}${Array.from({ length: n }, (_, i) => `CPU${String(i).padEnd(8)}`).join('')}`);
    const sums = SOFTIRQ_VECTORS.map((v) => softirqRow(softirqs, v).reduce((a, b) => a + b, 0));
    expect(stat[n + 7]).toBe(`softirq ${sums.reduce((a, b) => a + b, 0)} ${sums.join(' ')}`);
    expect(softirqs).toMatch(/^ {4}IRQ_POLL:( {1,10}\d+){8}$/m);
    expect(stat).toHaveLength(n + 9);
  });

  it("the RX work's softirqs follow the doorbell interrupt's smp_affinity", () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    sh(lab, 'ep', `${TCP} -t 1`);
    const rc = lab.boards.rc.host;
    const busiest = [...rc.irqs.values()].sort((a, b) => b.counts.reduce((x, y) => x + y, 0) - a.counts.reduce((x, y) => x + y, 0))[0];
    expect(busiest?.name).toBe('ntb_epf');
    const before = sh(lab, 'rc', 'cat /proc/softirqs').stdout;
    expect(softirqRow(before, 'TASKLET')[0]).toBeGreaterThan(100);
    expect(softirqRow(before, 'TASKLET').slice(1)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    expect(sh(lab, 'rc', `echo 2 > /proc/irq/${busiest?.num ?? 0}/smp_affinity`).status).toBe(0);
    sh(lab, 'ep', `${TCP} -t 1`);
    const after = sh(lab, 'rc', 'cat /proc/softirqs').stdout;
    const grew = softirqRow(after, 'TASKLET').map((v, i) => v - (softirqRow(before, 'TASKLET')[i] ?? 0));
    expect(grew[1]).toBeGreaterThan(100);
    expect(grew[0]).toBeLessThan(grew[1] as number);
    expect(grew.slice(2)).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('mpstat', () => {
  it('-P ALL 1 3 as a job under the seed load: a header per report, the RX CPU all softirq, rows summing to 100 %, then the Average of the run', () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    expect(sh(lab, 'rc', 'mpstat -P ALL 1 3 &')).toEqual({ stdout: 'Linux 6.18.0 (rc) \t11/22/26 \t_aarch64_\t(8 CPU)\n', stderr: '', status: 0 });
    sh(lab, 'ep', `${TCP} -t 5`);
    const out = takeJobOutput(lab.boards.rc);
    const lines = out.split('\n');
    expect(lines.filter((l) => CPU_HEADER.test(l)).map((l) => CPU_HEADER.exec(l)?.[1])).toEqual(['00:00:00', '00:00:01', '00:00:02', 'Average:']);
    const rows = cpuRows(out);
    expect(rows).toHaveLength(4 * 9);
    for (const r of rows) expect(Math.abs(r.sum - 100)).toBeLessThan(0.05);
    const cpu0 = rows.filter((r) => r.cpu === '0');
    for (const r of cpu0) expect(r.soft).toBeGreaterThan(90);
    // The all line is the CPUs' mean; the Average covers the three seconds.
    const all = rows.filter((r) => r.cpu === 'all' && r.label !== 'Average:');
    for (const r of all) expect(r.soft).toBeGreaterThan(10);
    const avg = rows.find((r) => r.cpu === '0' && r.label === 'Average:');
    expect(avg?.soft).toBeGreaterThanOrEqual(Math.min(...cpu0.slice(0, 3).map((r) => r.soft)) - 0.01);
    expect(avg?.soft).toBeLessThanOrEqual(Math.max(...cpu0.slice(0, 3).map((r) => r.soft)) + 0.01);
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Done                    mpstat -P ALL 1 3\n');
  });

  it('agrees with the model accounting: %soft and %idle per CPU match top’s utilisation over the same interval to within the tick rounding', () => {
    const lab = seedLab(5);
    const rc = lab.boards.rc;
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    sh(lab, 'ep', `${TCP} -t 1`);
    sh(lab, 'ep', `${TCP} -t 3 &`);
    sh(lab, 'rc', 'sleep 0.5');
    const before = rc.host.usage();
    const r = sh(lab, 'rc', 'mpstat -P ALL 2 1');
    const after = rc.host.usage();
    expect(r.status).toBe(0);
    const u = utilisation(before, after);
    const rows = cpuRows(r.stdout).filter((x) => x.label !== 'Average:' && x.cpu !== 'all');
    expect(rows).toHaveLength(8);
    for (const row of rows) {
      const m = u[Number(row.cpu)];
      // 200 ticks a CPU in 2 s: two ticks of rounding at most, 1 %.
      expect(Math.abs(row.soft - (m?.si ?? 0))).toBeLessThanOrEqual(1.01);
      expect(Math.abs(row.idle - (m?.id ?? 0))).toBeLessThanOrEqual(1.01);
    }
  });

  it('without -P: one header, a row per report, the Average without a header; without an interval, one report since boot', () => {
    const lab = seedLab(5);
    const r = sh(lab, 'rc', 'mpstat 1 3');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /^Linux 6\.18\.0 \(rc\) \t11\/22\/26 \t_aarch64_\t\(8 CPU\)\n\n00:00:00 {5}CPU {4}%usr {3}%nice {4}%sys %iowait {4}%irq {3}%soft {2}%steal {2}%guest {2}%gnice {3}%idle\n00:00:01 {5}all( +\d+\.\d\d){10}\n00:00:02 {5}all( +\d+\.\d\d){10}\n00:00:03 {5}all( +\d+\.\d\d){10}\nAverage: {5}all( +\d+\.\d\d){10}\n$/,
    );
    const boot = sh(lab, 'rc', 'mpstat');
    expect(boot.stdout).toMatch(/^Linux .*\n\n00:00:03 +CPU .*\n00:00:03 {5}all( +\d+\.\d\d){10}\n$/);
  });

  it('-I SUM, -I CPU and -I SCPU: interrupt and softirq rates per CPU, the doorbell vector on the RX CPU', () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    sh(lab, 'rc', 'mpstat -I ALL -P 0,1 1 2 &');
    sh(lab, 'ep', `${TCP} -t 3`);
    const out = takeJobOutput(lab.boards.rc);
    expect(out).toMatch(/^00:00:00 {5}CPU {4}intr\/s$/m);
    const sum = [...out.matchAll(/^00:00:0[12] {7}0 +(\d+\.\d\d)$/gm)].map((m) => Number(m[1]));
    expect(sum).toHaveLength(2);
    for (const v of sum) expect(v).toBeGreaterThan(50);
    // -P given: no all line; the CPUs chosen only.
    expect(out).not.toMatch(/^\S+ +all /m);
    expect(out).toMatch(/^00:00:00 {5}CPU {7}16\/s {7}17\/s/m);
    expect(out).toMatch(/^00:00:00 {5}CPU {7}HI\/s {4}TIMER\/s {3}NET_TX\/s {3}NET_RX\/s {4}BLOCK\/s IRQ_POLL\/s {2}TASKLET\/s {4}SCHED\/s {2}HRTIMER\/s {6}RCU\/s$/m);
    const softRows = [...out.matchAll(/^00:00:01 {7}([01])((?: +\d+\.\d\d){10})$/gm)].map((m) => ({ cpu: m[1], v: (m[2] as string).trim().split(/ +/).map(Number) }));
    expect(softRows.map((r) => r.cpu)).toEqual(['0', '1']);
    expect(softRows[0]?.v[6]).toBeGreaterThan(50);
    expect(softRows[1]?.v[6]).toBe(0);
    // -I CPU: a column per /proc/interrupts line (IRQs 16-32 on the RC, 33, the DWC's chained
    // msi SPI, counted since the link came up, arm64's IPIs and Err); the doorbell vector's on CPU 0.
    expect(out).toMatch(/^00:00:00 {5}CPU( +\d+\/s){18} {5}IPI0\/s {5}IPI1\/s( +IPI\d\/s){6} {6}Err\/s$/m);
    const irqRow = out.split('\n').find((l) => /^00:00:01 {7}0( +\d+\.\d\d){27}$/.test(l)) ?? '';
    expect(Math.max(...irqRow.trim().split(/ +/).slice(2).map(Number))).toBeGreaterThan(50);
  });

  it('SIGINT prints a new line and the Average (none in the first interval); other signals end it without one', () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'mpstat 1 &');
    // What a job prints shows after the command on its board during which it printed.
    expect(sh(lab, 'rc', 'sleep 2.5').stdout).toMatch(/^\n00:00:00 +CPU .*\n00:00:01 {5}all( +\d+\.\d\d){10}\n00:00:02 {5}all( +\d+\.\d\d){10}\n$/);
    // kill lets the signal be taken: mpstat's handler output follows it.
    const k = sh(lab, 'rc', 'kill -INT %1');
    expect(k.status).toBe(0);
    expect(k.stdout).toMatch(/^\nAverage: {5}all( +\d+\.\d\d){10}\n$/);
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Done                    mpstat 1\n');
    sh(lab, 'rc', 'mpstat 1 &');
    sh(lab, 'rc', 'sleep 0.5');
    expect(sh(lab, 'rc', 'kill -INT %1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Done                    mpstat 1\n');
    sh(lab, 'rc', 'mpstat 1 &');
    sh(lab, 'rc', 'sleep 1.5');
    expect(sh(lab, 'rc', 'kill %1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'sleep 2').stdout).toBe('');
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Terminated              mpstat 1\n');
    // killall and pkill find it by name.
    sh(lab, 'rc', 'mpstat -P 0 1 &');
    sh(lab, 'rc', 'sleep 1.5');
    expect(sh(lab, 'rc', 'killall -INT mpstat').stdout).toMatch(/^\n\nAverage: +CPU .*\nAverage: {7}0( +\d+\.\d\d){10}\n$/);
    expect(sh(lab, 'rc', 'pkill -INT mpstat')).toEqual({ stdout: '', stderr: '', status: 1 });
  });

  it('-o JSON: sysstat\'s document, a statistics element per report with the same figures as the text, no average; SIGINT kills it unclosed', () => {
    const lab = seedLab(5);
    sh(lab, 'rc', 'sudo iperf3 -s -D');
    const started = sh(lab, 'rc', 'mpstat -A -o JSON 1 2 &').stdout;
    sh(lab, 'ep', `${TCP} -t 3`);
    const text = started + takeJobOutput(lab.boards.rc);
    expect(text).toMatch(/^\{"sysstat": \{\n\t"hosts": \[\n\t\t\{\n\t\t\t"nodename": "rc",\n\t\t\t"sysname": "Linux",\n/);
    expect(text.endsWith('\n\t\t\t]\n\t\t}\n\t]\n}}\n')).toBe(true);
    interface CpuLoad { cpu: string; soft: number; idle: number; usr: number }
    interface Stat { timestamp: string; 'cpu-load': CpuLoad[]; 'sum-interrupts': { cpu: string; intr: number }[]; 'individual-interrupts': { cpu: string; intr: { name: string; value: number }[] }[]; 'soft-interrupts': { cpu: string; intr: { name: string; value: number }[] }[] }
    const doc = JSON.parse(text) as { sysstat: { hosts: { nodename: string; machine: string; 'number-of-cpus': number; date: string; statistics: Stat[] }[] } };
    const host = doc.sysstat.hosts[0];
    expect(host).toMatchObject({ nodename: 'rc', machine: 'aarch64', 'number-of-cpus': 8, date: '11/22/26' });
    const stats = host?.statistics ?? [];
    expect(stats.map((x) => x.timestamp)).toEqual(['00:00:01', '00:00:02']);
    for (const st of stats) {
      expect(st['cpu-load'].map((c) => c.cpu)).toEqual(['all', '0', '1', '2', '3', '4', '5', '6', '7']);
      expect(st['cpu-load'][1]?.soft).toBeGreaterThan(90);
      expect(st['sum-interrupts'][0]).toMatchObject({ cpu: 'all' });
      expect(st['soft-interrupts'][0]?.intr.map((x) => x.name)).toEqual([...SOFTIRQ_VECTORS]);
      // IRQs 16-32, 33 (the DWC's chained msi SPI, counted since the link came up), arm64's IPIs and Err.
      expect(st['individual-interrupts'][0]?.intr.map((x) => x.name)).toEqual([...Array.from({ length: 18 }, (_, i) => String(16 + i)), ...Array.from({ length: 8 }, (_, i) => `IPI${i}`), 'Err']);
    }
    // The same seed's text report gives the same figures.
    const lab2 = seedLab(5);
    sh(lab2, 'rc', 'sudo iperf3 -s -D');
    sh(lab2, 'rc', 'mpstat -A 1 2 &');
    sh(lab2, 'ep', `${TCP} -t 3`);
    const plain = cpuRows(takeJobOutput(lab2.boards.rc)).filter((r) => r.label === '00:00:01' && r.cpu === '0');
    expect(plain[0]?.soft).toBe(stats[0]?.['cpu-load'][1]?.soft);
    // SIGINT: no handler with JSON output.
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Done                    mpstat -A -o JSON 1 2\n');
    expect(sh(lab, 'rc', 'mpstat -o JSON 1 &').stdout).toMatch(/"statistics": \[\n$/);
    expect(sh(lab, 'rc', 'sleep 1.5').stdout).toMatch(/^\t{4}\{\n.*\n\t{4}\},\n$/s);
    expect(sh(lab, 'rc', 'kill -INT %1')).toEqual({ stdout: '', stderr: '', status: 0 });
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('[1]+  Interrupt               mpstat -o JSON 1\n');
    const boot = sh(lab, 'rc', 'mpstat -o JSON').stdout;
    expect((JSON.parse(boot) as typeof doc).sysstat.hosts[0]?.statistics).toHaveLength(1);
  });

  it('is deterministic: the same seed gives the same report', () => {
    const run = (): string => {
      const lab = seedLab(9);
      sh(lab, 'rc', 'sudo iperf3 -s -D');
      sh(lab, 'ep', `${TCP} -t 3 &`);
      return sh(lab, 'rc', 'mpstat -A 1 2').stdout;
    };
    const a = run();
    expect(a).toContain('TASKLET/s');
    expect(run()).toBe(a);
  });

  it('bad input: usage on stderr and status 1 for what sysstat refuses; the lab refuses a script mpstat it cannot end (status 2)', () => {
    const lab = seedLab(5);
    const USAGE = 'Usage: mpstat [ options ] [ <interval> [ <count> ] ]\nOptions are:\n[ -A ] [ -u ] [ -V ] [ -I { SUM | CPU | SCPU | ALL } ]\n[ -o JSON ] [ -P { <cpu_list> | ON | ALL } ]\n';
    for (const bad of ['mpstat -x', 'mpstat -P 8', 'mpstat -P', 'mpstat -P 1-0', 'mpstat -I FOO', 'mpstat -I', 'mpstat 1 0', 'mpstat 0 5', 'mpstat 1 2 3', 'mpstat one', 'mpstat -o XML']) {
      expect({ bad, ...sh(lab, 'rc', bad) }).toEqual({ bad, stdout: '', stderr: USAGE, status: 1 });
    }
    expect(sh(lab, 'rc', 'mpstat -V')).toEqual({ stdout: 'sysstat version 12.6.1\n(C) Sebastien Godard (sysstat <at> orange.fr)\n', stderr: '', status: 0 });
    const t = lab.sim.now;
    expect(sh(lab, 'rc', 'mpstat -P ALL 1')).toMatchObject({ stdout: '', status: 2, stderr: expect.stringContaining('give a count') as unknown });
    expect(lab.sim.now).toBe(t);
    expect(sh(lab, 'rc', 'jobs').stdout).toBe('');
  });
});
