/**
 * The runnable lab scripts in examples/: each runs as its header says, so they do not rot.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labCommands } from '../src/commands.js';
import { bootLab, seedMwSizes, type LabOptions } from '../src/lab/lab.js';
import { runScript } from '../src/lab/script.js';

const example = (name: string): string => readFileSync(fileURLToPath(new URL(`../examples/${name}`, import.meta.url)), 'utf8');
const run = (name: string, options: LabOptions = {}, keepGoing = false): { out: string; steps: { line: string; out: string }[]; status: number; error: string | null } => {
  const lab = bootLab({ sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30 }, ...options });
  const r = runScript(lab, example(name), { name, keepGoing, commands: labCommands() });
  const steps = r.steps.map((s) => ({ line: `${s.board}$ ${s.command}`, out: s.result.stdout + s.result.stderr }));
  return { out: steps.map((s) => s.out).join(''), steps, status: r.status, error: r.error };
};

describe('examples/', () => {
  it("ack-queue.lab: the four streams' ACKs fill one RC TX queue's qdisc towards txqueuelen and their RTT reaches seconds while the windows hold the rate; with txqueuelen 100 the queue holds at most 100 and the RTT falls several-fold", () => {
    const r = run('ack-queue.lab', { seed: 42, doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { mwSizes: seedMwSizes(2) }, params: { transport: {}, netdev: { queues: 2 } } });
    expect(r.status).toBe(0);
    const tc = r.steps.filter((s) => s.line === 'rc$ tc -s qdisc show dev ntb0').map((s) => [...s.out.matchAll(/^qdisc pfifo_fast 0: parent :\d [^\n]*\n Sent \d+ bytes \d+ pkt [^\n]*\n backlog \S+ (\d+)p/gm)].map((m) => Number(m[1])));
    expect(tc).toHaveLength(2);
    const [before = [], after = []] = tc;
    expect(Math.max(...before)).toBeGreaterThan(900);
    expect(Math.max(...after)).toBeLessThanOrEqual(100);
    const rtts = r.steps.filter((s) => s.line.startsWith('ep$ ss -tin')).map((s) => [...s.out.matchAll(/ mss:65458 [^\n]* rtt:([\d.]+)\/| rto:\d+ rtt:([\d.]+)\/[^\n]* mss:65458 /g)].map((m) => Number(m[1] ?? m[2])));
    expect(rtts.map((x) => x.length)).toEqual([4, 4]);
    expect(Math.min(...(rtts[0] ?? []))).toBeGreaterThan(1000);
    expect(Math.max(...(rtts[1] ?? []))).toBeLessThan(Math.min(...(rtts[0] ?? [])) / 4);
    const rates = [...r.out.matchAll(/^\[SUM\] .* ([\d.]+) ([MG])bits\/sec {18}receiver$/gm)].map((m) => Number(m[1]) * (m[2] === 'G' ? 1000 : 1));
    expect(rates).toHaveLength(2);
    for (const rate of rates) expect(rate).toBeGreaterThan(1100);
  });

  it('dw-msi.lab: with the redirection each steered vector runs on its own CPU and the test doubles; without it the echos fail with EIO and everything stays on CPU 0', () => {
    const opts: LabOptions = { doorbell: { rc: 'per-bit', ep: 'per-bit' }, vntb: { mwSizes: seedMwSizes(2) }, params: { transport: {}, netdev: { queues: 2 } } };
    const counts = (out: string, irq: number | string): number[] => (new RegExp(`^ *${irq}:((?: +\\d+){8})`, 'm').exec(out)?.[1] ?? '').trim().split(/ +/).map(Number);
    const rate = (out: string): number => {
      const m = /^\[SUM\] .* ([\d.]+) ([MG])bits\/sec {18}receiver$/m.exec(out);
      return m === null ? 0 : Number(m[1]) * (m[2] === 'G' ? 1000 : 1);
    };
    const redirect = run('dw-msi.lab', opts);
    expect(redirect.status).toBe(0);
    const last = redirect.steps.at(-1)?.out ?? '';
    expect([counts(last, 19)[1], counts(last, 20)[2]].every((n) => (n ?? 0) > 500)).toBe(true);
    expect(counts(last, 19)[0]).toBe(0);
    expect(counts(last, 33)[0]).toBeGreaterThan(500);
    // Each vector handled away from CPU 0 came by an IRQ work IPI (none while it was still pending there).
    const ipi5 = counts(last, 'IPI5');
    expect([ipi5[0], ipi5[1] ?? 0, ipi5[2] ?? 0]).toEqual([0, expect.any(Number), expect.any(Number)]);
    expect(ipi5[1]).toBe(counts(last, 19)[1]);
    expect(ipi5[2]).toBe(counts(last, 20)[2]);
    expect(rate(redirect.out)).toBeGreaterThan(1100);
    const chained = run('dw-msi.lab', { ...opts, msi: 'chained' }, true);
    expect(chained.steps.slice(0, 2).map((s) => s.out)).toEqual(['bash: echo: write error: Input/output error\n', 'bash: echo: write error: Input/output error\n']);
    const end = chained.steps.at(-1)?.out ?? '';
    expect([counts(end, 19)[0], counts(end, 20)[0]].every((n) => (n ?? 0) > 300)).toBe(true);
    expect(counts(end, 19).slice(1).every((n) => n === 0)).toBe(true);
    expect(counts(end, 'IPI5')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(rate(chained.out)).toBeLessThan(620);
  });

  it('rps.lab: an rps_cpus map moves the stack work off the RX CPU by IPIs, to one CPU per flow; the copy stays and the rate gains only the stack\'s share; RFS moves it to the server\'s CPU', () => {
    const r = run('rps.lab');
    expect(r.status).toBe(0);
    const rates = [...r.out.matchAll(/^\[SUM\] .* ([\d.]+) ([MG])bits\/sec {18}receiver$/gm)].map((m) => Number(m[1]) * (m[2] === 'G' ? 1000 : 1));
    expect(rates).toHaveLength(3);
    const [plain = 0, rps = 0, rfs = 0] = rates;
    expect(Math.abs(rfs - rps)).toBeLessThan(plain * 0.02);
    // RFS: the stack's packets went through the backlog of the server's CPU.
    const tops = r.steps.filter((s) => s.line === 'rc$ top -b -n 1').map((s) => s.out);
    const serverCpu = Number(/^ +[\d.]+ +(\d+) iperf3$/m.exec(tops[2] ?? '')?.[1] ?? -1);
    const stats = r.steps.filter((s) => s.line === 'rc$ cat /proc/net/softnet_stat').map((s) => s.out.trim().split('\n').map((l) => parseInt(l.slice(0, 8), 16)));
    expect(serverCpu).toBeGreaterThan(0);
    expect((stats[1]?.[serverCpu] ?? 0) - (stats[0]?.[serverCpu] ?? 0)).toBeGreaterThan(3000);
    expect(plain).toBeGreaterThan(560);
    expect(plain).toBeLessThan(620);
    expect(rps).toBeGreaterThan(plain * 1.02);
    expect(rps).toBeLessThan(plain * 1.1);
    // CPU 0 is the RX CPU before and after: its softirq share stays above 95 %.
    const si0 = tops.map((out) => Number(/^%Cpu0 +:.* ([\d.]+) si,/m.exec(out)?.[1] ?? 0));
    expect(si0).toHaveLength(3);
    for (const v of si0) expect(v).toBeGreaterThan(95);
    // The flows' CPUs took the RPS IPIs (received_rps) and processed the packets; CPU 0 none of them since.
    const softnet = (r.steps.filter((s) => s.line === 'rc$ cat /proc/net/softnet_stat')[0]?.out ?? '').trim().split('\n').map((l) => l.split(' ').map((x) => parseInt(x, 16)));
    const rpsCpus = softnet.filter((f) => (f[9] ?? 0) > 100).map((f) => f[12] ?? -1);
    expect(rpsCpus.length).toBeGreaterThanOrEqual(1);
    expect(rpsCpus).not.toContain(0);
    const ipi1 = (/^IPI1:((?: +\d+){8})/m.exec(r.out)?.[1] ?? '').trim().split(/ +/).map(Number);
    for (const cpu of rpsCpus) expect(ipi1[cpu]).toBeGreaterThanOrEqual(softnet[cpu]?.[9] ?? Infinity);
  });

  it("fq-codel.lab: with fq_codel at ntb0's root CoDel drops the EP's data (not the RC's ACKs) and TCP retransmits, the rate holding; a ping under load comes back sooner than behind pfifo_fast's band", () => {
    const r = run('fq-codel.lab');
    expect(r.status).toBe(0);
    const sums = [...r.out.matchAll(/^\[SUM\] .* ([\d.]+) ([MG])bits\/sec +(\d+) +sender\n\[SUM\] .* ([\d.]+) ([MG])bits\/sec {18}receiver$/gm)].map((m) => ({ retr: Number(m[3]), rx: Number(m[4]) * (m[5] === 'G' ? 1000 : 1) }));
    const rtts = [...r.out.matchAll(/rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//g)].map((m) => Number(m[1]));
    expect([sums.length, rtts.length]).toEqual([3, 3]);
    const [pfifo = { retr: -1, rx: 0 }, fq = { retr: -1, rx: 0 }, small = { retr: -1, rx: 0 }] = sums;
    const [pfifoRtt = 0, fqRtt = 0, smallRtt = 0] = rtts;
    expect(pfifo.retr).toBe(0);
    expect(fq.retr).toBeGreaterThan(0);
    expect(small.retr).toBeGreaterThan(0);
    for (const { rx } of [fq, small]) expect(Math.abs(rx - pfifo.rx)).toBeLessThan(pfifo.rx * 0.03);
    expect(pfifoRtt).toBeGreaterThan(20);
    expect(fqRtt).toBeLessThan(pfifoRtt * 0.8);
    expect(smallRtt).toBeLessThan(pfifoRtt);
    const show = (board: string): string => r.steps.find((s) => s.line === `${board}$ tc -s qdisc show dev ntb0`)?.out ?? '';
    const dropped = (out: string): number => Number(/\(dropped (\d+),/.exec(out)?.[1] ?? -1);
    expect(show('ep')).toMatch(/^qdisc fq_codel 8001: root refcnt \d+ limit 10240p flows 1024 quantum 65524 /);
    expect(dropped(show('ep'))).toBeGreaterThan(0);
    expect(dropped(show('rc'))).toBe(0);
  });

  it('ep-doorbell.lab: a polled EP answers a ping in milliseconds (where the reply lands in its 8 ms poll period), an interrupt-driven one in ~0.08 ms', () => {
    const times = (r: ReturnType<typeof run>): number[] => [...r.out.matchAll(/time=([\d.]+) ms/g)].map((m) => Number(m[1]));
    const polled = run('ep-doorbell.lab');
    const irq = run('ep-doorbell.lab', { vntb: { mwSizes: seedMwSizes(1), doorbellIrq: true } });
    expect([polled.status, irq.status]).toEqual([0, 0]);
    expect(times(polled)).toHaveLength(5);
    for (const t of times(polled)) expect(t).toBeGreaterThan(1);
    // The first echo waits for ARP too: the RC's ARP reply, like its echo reply, waits for a poll.
    const [first, ...rest] = times(polled);
    expect(first).toBeLessThanOrEqual(16.1);
    for (const t of rest) expect(t).toBeLessThanOrEqual(8.1);
    for (const t of times(irq)) expect(t).toBeLessThan(0.2);
    expect(polled.out).toMatch(/rtt min\/avg\/max\/mdev = [1-8]\.\d{3}\//);
    expect(irq.out).toMatch(/rtt min\/avg\/max\/mdev = 0\.0\d{2}\/0\.0\d{2}\/0\.0\d{2}\/0\.000 ms\n$/);
  });

  it('latency-under-load.lab: ping as a job measures the round trip under the seed\'s test, which is longer than idle; kill -INT prints its statistics', () => {
    const r = run('latency-under-load.lab');
    expect(r.status).toBe(0);
    const avgs = [...r.out.matchAll(/rtt min\/avg\/max\/mdev = [\d.]+\/([\d.]+)\//g)].map((m) => Number(m[1]));
    expect(avgs).toHaveLength(2);
    const [idle = 0, loaded = 0] = avgs;
    expect(loaded).toBeGreaterThan(idle * 1.5);
    // Nothing lost under load; the interrupt may come while the last request's reply is still on its way (iputils counts it lost).
    const stats = /\n(2\d) packets transmitted, (2\d) received, [\d.]+% packet loss, time 5\d\d\dms\n/.exec(r.out);
    expect(stats).not.toBeNull();
    expect(Number(stats?.[1]) - Number(stats?.[2])).toBeLessThanOrEqual(1);
    expect(r.steps.at(-1)?.out).toBe(`[1]+  ${'Done'.padEnd(24)}ping -i 0.25 -q \${SERVER_IP}\n`);
  });

  it('rx-cpu.lab: mpstat shows the RX CPU all softirq, on CPU 0, then on CPU 2 once the doorbell IRQ is steered there; the rate stays one CPU\'s', () => {
    const r = run('rx-cpu.lab');
    expect(r.status).toBe(0);
    const soft = (cpu: number): number[] => [...r.out.matchAll(new RegExp(`^Average: {7}${cpu}(?: +\\d+\\.\\d\\d){5} +(\\d+\\.\\d\\d)`, 'gm'))].map((m) => Number(m[1]));
    const [cpu0Before = 0, cpu0After = 0] = soft(0);
    const [cpu2Before = 0, cpu2After = 0] = soft(2);
    expect(cpu0Before).toBeGreaterThan(90);
    expect(cpu2Before).toBe(0);
    expect(cpu0After).toBe(0);
    expect(cpu2After).toBeGreaterThan(90);
    const rates = [...r.out.matchAll(/^\[SUM\] .* (\d+) Mbits\/sec {18}receiver$/gm)].map((m) => Number(m[1]));
    expect(rates).toHaveLength(2);
    expect(Math.abs((rates[0] ?? 0) - (rates[1] ?? 0))).toBeLessThan(20);
    // /proc/softirqs after the second test: the TASKLET runs on CPU 0 and CPU 2 only.
    const tasklet = /^ {5}TASKLET:((?: +\d+){8})$/gm;
    const last = [...r.out.matchAll(tasklet)].at(-1)?.[1]?.trim().split(/ +/).map(Number) ?? [];
    expect(last.map((v) => v > 0)).toEqual([true, false, true, false, false, false, false, false]);
  });

  it('link-loss.lab: the link drops 1 s into the transfer for 30 ms; TCP retransmits what it ate and finishes', () => {
    const r = run('link-loss.lab');
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/\[ {2}5\] {3}0\.00-3\.00 +sec .* [1-9]\d* +sender/);
    expect(r.out).toMatch(/rc-to-ep: dropped_link_down [1-9]\d* /);
    expect(r.out).toMatch(/fault link down: done\n.*fault link up: done\n/);
  });

  it('channels-storm.lab with two MWs: every ethtool -L of the storm succeeds under load', () => {
    const r = run('channels-storm.lab', { vntb: { mwSizes: seedMwSizes(2) } });
    expect(r.status).toBe(0);
    expect(r.out).toContain('ep: channels storm: 6/6 run, 0 failed\n');
    expect(r.out).toMatch(/receiver\n/);
  });

  it('spurious-link-event.lab: the kernel semantics wedge the flow after the intervals it printed; ignore_link_event_when_up=Y does not', () => {
    const kernel = run('spurious-link-event.lab', {}, true);
    expect(kernel.error).toMatch(/^spurious-link-event\.lab:\d+: 'sudo iperf3 -c \$\{SERVER_IP\} -t 2' failed with status 1: ntb-bench: iperf3 still had not finished \d+ s \(virtual\) after it started; the real iperf3 would still be waiting\. The model says: ep ntb0 TX queue 0 stopped: \d of \d+ slots free < tx_stop 5, waiting for the peer to consume the ring/);
    expect(kernel.out).toMatch(/\[ {2}5\] {3}0\.00-1\.00 {3}sec .*\nntb-bench: iperf3 still had not finished/s);
    const fixed = run('spurious-link-event.lab', { params: { transport: { ignoreLinkEventWhenUp: true }, netdev: {} } });
    expect(fixed.status).toBe(0);
    expect(fixed.out).toContain('iperf Done.');
  });

  it("channels-at-once.lab: growing both boards' channels at once leaves the EP's qp1 down (empty debugfs stats) and the RC's up; qp_links_own_bits=Y brings both up", () => {
    const four = { vntb: { mwSizes: seedMwSizes(2) } };
    const out = (r: ReturnType<typeof run>, line: string): string => r.steps.find((s) => s.line === line)?.out ?? 'missing step';
    /** Per board: the QP Link line of its qp1 stats ('' for an empty file) and the QPs its kernel log says came up. */
    const state = (r: ReturnType<typeof run>) =>
      (['ep', 'rc'] as const).map((b) => ({
        stats: /^QP Link - \t(\w+)$/m.exec(out(r, `${b}$ cat /sys/kernel/debug/ntb_transport/*/qp1/stats`))?.[1] ?? '',
        up: [...out(r, `${b}$ dmesg`).matchAll(/^\[ *\d+\.\d{6}\] (?:pci-vntb 0000:10|ntb_hw_epf 0000:01):00\.0: qp (\d): Link Up$/gm)].map((m) => Number(m[1])).sort(),
      }));
    const kernel = run('channels-at-once.lab', { ...four, params: { transport: { maxNumClients: 4 }, netdev: {} } });
    expect(kernel.status).toBe(0);
    expect(state(kernel)).toEqual([
      { stats: '', up: [0, 2] },
      { stats: 'Up', up: [0, 1, 2] },
    ]);
    const fixed = run('channels-at-once.lab', { ...four, params: { transport: { maxNumClients: 4, qpLinksOwnBits: true }, netdev: {} } });
    expect(fixed.status).toBe(0);
    expect(state(fixed)).toEqual([
      { stats: 'Up', up: [0, 1, 2] },
      { stats: 'Up', up: [0, 1, 2] },
    ]);
  });

  it('channels-under-load.lab: grown under a background iperf3, qp1 takes a stream, but its RX tasklet stays on CPU 0 (CPU 2 idle) until the rings idle; the next test gets both CPUs', () => {
    const r = run('channels-under-load.lab', { seed: 9, vntb: { mwSizes: seedMwSizes(2) }, doorbell: { rc: 'per-bit', ep: 'per-bit' } });
    expect(r.status).toBe(0);
    const tops = r.steps.filter((s) => s.line === 'rc$ top -b -n 1 | head -n 4').map((s) => /^%Cpu2 .* (\d+\.\d) si,/m.exec(s.out)?.[1]);
    expect(tops.map(Number)).toEqual([0, expect.any(Number) as unknown]);
    expect(Number(tops[1])).toBeGreaterThan(30);
    expect(Number(/tx_queue_1_packets: (\d+)/.exec(r.out)?.[1] ?? 0)).toBeGreaterThan(100);
    expect(r.steps.find((s) => s.line === 'ep$ wait')?.out).toMatch(/\[SUM\] {3}0\.00-3\.\d\d +sec .* [56]\d\d Mbits\/sec {18}receiver\n\niperf Done\.\n$/);
    expect(r.out).toMatch(/\[SUM\] {3}0\.00-2\.\d\d +sec .* 1\.\d\d Gbits\/sec {18}receiver\n/);
  });

  it('receiver-cpu.lab: the server pinned to the RX interrupt CPU loses a few % and TCP and UDP come out equal', () => {
    const r = run('receiver-cpu.lab');
    expect(r.status).toBe(0);
    const sums = [...r.out.matchAll(/\[SUM\] +0\.00-[\d.]+ +sec .* ([\d.]+) Mbits\/sec .*receiver\n/g)].map((m) => Number(m[1]));
    expect(sums).toHaveLength(4);
    const [tcp, tcpPinned, udp, udpPinned] = sums as [number, number, number, number];
    expect(tcpPinned).toBeLessThan(tcp * 0.98);
    expect(udpPinned).toBeLessThan(udp * 0.96);
    expect(udp / tcp).toBeGreaterThan(1.02);
    expect(Math.abs(udpPinned / tcpPinned - 1)).toBeLessThan(0.03);
  });

  it('rx-dma-channels.lab: the series\' parameters load with modprobe (use_intr logged and ignored); RX copies go to DMA, TX copies stay on the CPU, and a second RX channel changes nothing (RX DMA never binds here)', () => {
    const r = run('rx-dma-channels.lab');
    expect(r.status).toBe(0);
    expect(r.out.match(/ntb_transport: unknown parameter 'use_intr' ignored/g)).toHaveLength(4);
    const rates = [...r.out.matchAll(/sockperf: Summary: BandWidth is [\d.]+ MBps \(([\d.]+) Mbps\)\n/g)].map((m) => Number(m[1]));
    expect(rates).toHaveLength(2);
    const [one, two] = rates as [number, number];
    expect(one).toBeGreaterThan(4309);
    expect(Math.abs(two / one - 1)).toBeLessThan(0.02);
    expect(r.out.match(/Using TX DMA - \tNo\nUsing RX DMA - \tYes\n/g)).toHaveLength(2);
    expect([...r.out.matchAll(/rx_async - \t(\d+)\n/g)].map((m) => Number(m[1]) > 0)).toEqual([true, true]);
  });

  it('ntb-perf.lab: ntb_perf measures the CPU (memcpy_toio) and DMA write rates over one window; with distinct port numbers the EP needs a second window', () => {
    const r = run('ntb-perf.lab');
    expect(r.status).toBe(0);
    const runs = r.steps.filter((s) => s.line === 'ep$ cat /sys/kernel/debug/ntb_perf/0000:10:00.0/run').map((s) => s.out);
    expect(runs).toHaveLength(3);
    const rates = runs.map((o) => [...o.matchAll(/^(\d+): copied 67108864 bytes in (\d+) usecs, (\d+) MBytes\/s$/gm)].map((m) => Number(m[3])));
    expect(rates.map((x) => x.length)).toEqual([1, 2, 1]);
    // One thread: the CPU's memcpy_toio rate; two: together the link's payload rate (flow control); DMA: the engine's rate.
    expect(Math.abs((rates[0]?.[0] ?? 0) - 1800)).toBeLessThan(60);
    const link = bootLab().pair.fabric.bytesPerSec / 1e6;
    const both = (rates[1] ?? []).reduce((a, b) => a + b, 0);
    expect(both).toBeLessThanOrEqual(1.01 * link);
    expect(both).toBeGreaterThan(0.95 * link);
    expect(Math.abs((rates[2]?.[0] ?? 0) - 3000)).toBeLessThan(100);
    expect(r.out).toContain('Local port 0, Global index 0\nTest status: idle\nPort 0 (0), Global index 0:\n');
    const distinct = run('ntb-perf.lab', { ports: 'distinct' }, true);
    expect(distinct.error).toMatch(/ntb-perf\.lab:\d+: 'cat \/sys\/kernel\/debug\/ntb_perf\/\*\/info' failed with status 1: cat: '\/sys\/kernel\/debug\/ntb_perf\/\*\/info': No such file or directory|ntb-perf\.lab:\d+: .*No such file or directory/);
    const two = run('ntb-perf.lab', { ports: 'distinct', vntb: { mwSizes: seedMwSizes(2) } });
    expect(two.status).toBe(0);
    expect(two.out).toContain('Local port 1, Global index 1\n');
  });
});
