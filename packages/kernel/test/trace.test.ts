import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CONTEXT_KINDS, createHost, createSimulation, getProfile, runSlices, toChromeTrace, type Host, type Simulation, type ChromeTraceEvent, type ContextKind, type TraceRecord } from '../src/index.js';

/** A finite mixed workload on two hosts (IRQ → tasklet → a user task, a kthread, a timer), run until nothing is left. */
function twoHosts(seed: number, window?: { from: number; to: number }): { sim: Simulation; hosts: Host[] } {
  const sim = createSimulation({ seed, traceCapacity: window === undefined ? 200_000 : 0 });
  if (window !== undefined) {
    sim.at(window.from, () => sim.startTrace(10_000));
    sim.at(window.to, () => windows.push(sim.stopTrace()?.toArray() ?? []));
  }
  const hosts = ['rc', 'ep'].map((name) => createHost(sim, { name, profile: getProfile('rcar-s4') }));
  for (const host of hosts) {
    let frames = 0;
    // The reader, on the other cache domain: each batch's wake costs its CPU an IPI.
    const app = host.createUserTask('app', (ctx) => {
      ctx.charge(5_000);
      return 'sleep';
    }, { cpus: 1 << 4 });
    const rx = host.createTasklet('rx', (ctx) => {
      ctx.charge(host.costs.memcpyFromCoherent(1500 + sim.rng.int(64_000)));
      if (++frames % 4 !== 0) return true;
      app.wake();
      return false;
    });
    const irq = host.requestIrq('db', (ctx) => rx.schedule(ctx), { affinity: 0b110 });
    let sent = 0;
    const k = host.createKthread('tx', (ctx) => {
      if (++sent > 200) return 'exit';
      ctx.charge(host.costs.memcpyToio(65_536));
      irq.raise();
      return sim.rng.int(2) === 0 ? 'run' : 20_000;
    });
    let ticks = 0;
    const timer = host.createTimer('reap', (ctx) => {
      k.wake();
      if (++ticks < 20) timer.mod(host.jiffies + 1, ctx);
    });
    timer.mod(1);
  }
  sim.run();
  return { sim, hosts };
}

const windows: TraceRecord[][] = [];

/** The slices (`X` events) of one host/CPU track, in time order. */
const track = (events: readonly ChromeTraceEvent[], pid: number, tid: number): ChromeTraceEvent[] =>
  events.filter((e) => e.ph === 'X' && e.pid === pid && e.tid === tid).sort((a, b) => (a.ts ?? 0) - (b.ts ?? 0));

describe('toChromeTrace', () => {
  it('names a process per host and a thread per CPU, and its slices add up to the CPUs’ accounting by context kind', () => {
    const { sim, hosts } = twoHosts(3);
    const records = sim.trace?.toArray() ?? [];
    expect(sim.trace?.dropped).toBe(0);
    const trace = toChromeTrace(records);
    const meta = trace.traceEvents.filter((e) => e.ph === 'M');
    const procs = meta.filter((e) => e.name === 'process_name').map((e) => [e.pid, e.args?.['name']]);
    expect(procs).toEqual([
      [1, 'rc'],
      [2, 'ep'],
    ]);
    expect(trace.traceEvents.slice(0, meta.length).every((e) => e.ph === 'M')).toBe(true);
    for (const [pid, name] of procs as [number, string][]) {
      const host = hosts.find((h) => h.name === name);
      expect(host).toBeDefined();
      const usage = host?.usage() ?? [];
      usage.forEach((u, cpu) => {
        const slices = track(trace.traceEvents, pid, cpu);
        for (let i = 1; i < slices.length; i++) {
          const prev = slices[i - 1] as ChromeTraceEvent;
          expect(((slices[i] as ChromeTraceEvent).ts ?? 0) + 1e-9).toBeGreaterThanOrEqual((prev.ts ?? 0) + (prev.dur ?? 0));
        }
        for (const kind of CONTEXT_KINDS) {
          const us = slices.filter((s) => s.cat === kind).reduce((a, s) => a + (s.dur ?? 0), 0);
          expect(Math.round(us * 1000)).toBe(u[kind]);
        }
      });
    }
    expect(new Set(trace.traceEvents.filter((e) => e.ph === 'X').map((e) => e.cat))).toEqual(new Set(['hardirq', 'softirq', 'kthread', 'user']));
    // Every wake of a task (sched_wakeup: onto the CPU it will run on) is followed by a run of it there.
    const wakes = trace.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'wake');
    expect(wakes.filter((w) => w.name === 'tx').length).toBeGreaterThan(100);
    for (const w of wakes) {
      expect(['tx', 'app']).toContain(w.name);
      expect(typeof w.args?.['waker_cpu']).toBe('number');
      expect(track(trace.traceEvents, w.pid, w.tid ?? -1).some((x) => x.name === w.name && (x.ts ?? 0) >= (w.ts ?? 0))).toBe(true);
    }
    // Every IPI (ipi_raise) is an instant on the receiving CPU's track, from another CPU: as many as the CPUs counted.
    for (const [pid, name] of procs as [number, string][]) {
      const ipis = trace.traceEvents.filter((e) => e.ph === 'i' && e.cat === 'ipi' && e.pid === pid);
      const cpus = hosts.find((h) => h.name === name)?.cpus ?? [];
      expect(ipis.length).toBe(cpus.reduce((a, c) => a + c.ipis['call-function'] + c.ipis['irq-work'], 0));
      expect(ipis.length).toBeGreaterThan(3);
      for (const e of ipis) {
        expect({ name: e.name, tid: e.tid }).toEqual({ name: 'call-function', tid: 4 });
        expect([1, 2]).toContain(e.args?.['from_cpu']);
      }
    }
    expect(trace.otherData).toEqual({ source: 'ntbsim', records: records.length, dropped: 0 });
    expect(JSON.parse(JSON.stringify(trace))).toEqual(trace);
  });

  it('startTrace / stopTrace record a window of a run and change nothing in it', () => {
    const full = twoHosts(5);
    const windowed = twoHosts(5, { from: 4_000_000, to: 6_000_000 });
    expect(windowed.hosts.map((h) => h.usage())).toEqual(full.hosts.map((h) => h.usage()));
    expect(windowed.sim.trace).toBeNull();
    const records = windows.pop() ?? [];
    expect(records.length).toBeGreaterThan(10);
    expect(records.every((r) => r.t >= 4_000_000 && r.t < 6_000_000)).toBe(true);
    expect(records).toEqual((full.sim.trace?.toArray() ?? []).filter((r) => r.t >= 4_000_000 && r.t < 6_000_000));
    expect(() => full.sim.startTrace(0)).toThrow('trace capacity: got 0, allowed an integer ≥ 1');
  });

  it('merges the steps of one context that follow each other on a CPU; a gap, another context or another kind starts a new slice', () => {
    const run = (t: number, name: string, value: number, kind: ContextKind = 'softirq', cpu = 0): TraceRecord => ({ t, host: 'rc', cpu, what: 'run', name, value, kind });
    expect(runSlices([run(0, 'rx', 1000), run(1000, 'rx', 500), run(1500, 'db', 200, 'hardirq'), run(1700, 'rx', 0)])).toEqual([
      { host: 'rc', cpu: 0, name: 'rx', kind: 'softirq', start: 0, end: 1500 },
      { host: 'rc', cpu: 0, name: 'db', kind: 'hardirq', start: 1500, end: 1700 },
    ]);
    const trace = toChromeTrace([
      run(0, 'rx', 1000),
      run(1000, 'rx', 500),
      run(1500, 'db', 200, 'hardirq'),
      run(1700, 'rx', 300),
      run(2000, 'rx', 0),
      run(2500, 'rx', 100),
      run(2600, 'rx', 100, 'kthread'),
      run(0, 'iperf3', 4000, 'user', 1),
      { t: 3000, host: '', cpu: -1, what: 'stop', name: 'end', value: 7 },
      { t: 3100, host: 'rc', cpu: -1, what: 'counter', name: 'qlen', value: 12 },
    ]);
    expect(trace.traceEvents.filter((e) => e.ph === 'C')).toEqual([{ name: 'qlen', ph: 'C', ts: 3.1, pid: 1, args: { value: 12 } }]);
    const x = trace.traceEvents.filter((e) => e.ph === 'X').map((e) => [e.pid, e.tid, e.name, e.cat, e.ts, e.dur]);
    expect(x).toEqual([
      [1, 0, 'rx', 'softirq', 0, 1.5],
      [1, 1, 'iperf3', 'user', 0, 4],
      [1, 0, 'db', 'hardirq', 1.5, 0.2],
      [1, 0, 'rx', 'softirq', 1.7, 0.3],
      [1, 0, 'rx', 'softirq', 2.5, 0.1],
      [1, 0, 'rx', 'kthread', 2.6, 0.1],
    ]);
    expect(trace.traceEvents.filter((e) => e.ph === 'i')).toEqual([{ name: 'end', cat: 'stop', ph: 'i', s: 't', ts: 3, pid: 2, tid: -1, args: { value: 7 } }]);
    expect(trace.traceEvents.filter((e) => e.name === 'thread_name').map((e) => [e.pid, e.tid, e.args?.['name']])).toEqual([
      [1, 0, 'cpu0'],
      [1, 1, 'cpu1'],
      [2, -1, 'global'],
    ]);
    expect(trace.traceEvents.find((e) => e.name === 'process_name' && e.pid === 2)?.args).toEqual({ name: 'simulation' });
  });

  it('keeps every ns of run time and never overlaps slices on a track, for any run records (property)', () => {
    const step = fc.record({ gap: fc.nat({ max: 3 }), value: fc.nat({ max: 50 }), name: fc.constantFrom('a', 'b'), kind: fc.constantFrom(...CONTEXT_KINDS), cpu: fc.nat({ max: 2 }) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), fc.nat({ max: 5 }), (steps, dropped) => {
        const clock = [0, 0, 0];
        const records: TraceRecord[] = steps.map((s) => {
          const t = (clock[s.cpu] as number) + s.gap;
          clock[s.cpu] = t + s.value;
          return { t, host: 'h', cpu: s.cpu, what: 'run', name: s.name, value: s.value, kind: s.kind };
        });
        records.sort((a, b) => a.t - b.t);
        const trace = toChromeTrace(records, dropped);
        expect(trace.otherData.dropped).toBe(dropped);
        const slices = trace.traceEvents.filter((e) => e.ph === 'X');
        expect(slices.length).toBeLessThanOrEqual(records.filter((r) => r.value > 0).length);
        for (let cpu = 0; cpu < 3; cpu++) {
          const mine = track(trace.traceEvents, 1, cpu);
          const total = records.filter((r) => r.cpu === cpu).reduce((a, r) => a + r.value, 0);
          expect(Math.round(mine.reduce((a, s) => a + (s.dur ?? 0), 0) * 1000)).toBe(total);
          for (let i = 1; i < mine.length; i++) {
            const prev = mine[i - 1] as ChromeTraceEvent;
            expect(Math.round(((mine[i] as ChromeTraceEvent).ts ?? 0) * 1000)).toBeGreaterThanOrEqual(Math.round(((prev.ts ?? 0) + (prev.dur ?? 0)) * 1000));
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
