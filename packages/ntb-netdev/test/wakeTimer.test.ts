/**
 * When the wake timer restarts a stopped subqueue (src/netdev.ts: maybeStopTx / armTimer /
 * txTimer). The jiffy variant arms `mod_timer(jiffies + usecs_to_jiffies(tx_time = 1))`: the
 * timer runs at the first tick after the jiffy of the stop — a later jiffy, but not a full
 * 1/HZ later (anything in (0, 1/HZ] after the stop), and each re-arm while the ring stays short
 * adds one jiffy. The hrtimer variant fires `hrtimerNs` (250 µs) after each arm.
 *
 * Observed through public hooks: the net-core NetDevice calls the driver makes
 * (`netifStopSubqueue` / `netifStartSubqueue` / `netifWakeSubqueue`, spied at the virtual time
 * they happen) and the kernel trace (`traceCapacity`), whose `run` record of the timer's softirq
 * is the next record after a wake made from that run.
 */
import type { Host, TraceRecord } from '@ntbsim/kernel';
import { describe, expect, it, vi } from 'vitest';
import { TX_TIME_US, type NtbNetdevOptions } from '../src/index.js';
import { rig, tcpTransfer, type Side } from './rig.js';

interface SubqueueEvent {
  readonly kind: 'stop' | 'start' | 'wake';
  readonly q: number;
  /** Virtual time (ns). */
  readonly t: number;
  /** The host's jiffies then. */
  readonly j: number;
  /** Trace records held when it happened (the index of the next record). */
  readonly traceAt: number;
}

/** A timer wake of queue 0 with the stop before it and the timer expiries in between. */
interface TimerWake {
  readonly stop: SubqueueEvent;
  readonly wake: SubqueueEvent;
  /** Expiries of the queue's timer in (stop, wake], the wake's included. */
  readonly expiries: number;
}

/** What one host's queue 0 did. */
interface Observed {
  readonly host: Host;
  /** The runs of queue 0's timer (its softirq), from the trace. */
  readonly timerRuns: TraceRecord[];
  readonly timerWakes: TimerWake[];
  /** When the timer run at `t` was armed: the latest arming stop of queue 0, or timer run, before `t`. */
  readonly armedAt: (t: number) => number;
  readonly txTimerWakes: number;
  readonly txTimerExpiries: number;
  readonly txStops: number;
}

function watch(s: Side, timerName: string): () => { events: SubqueueEvent[]; finish: (records: TraceRecord[]) => Observed } {
  const dev = s.nd.ndev;
  const host = s.host;
  const trace = host.sim.trace;
  if (trace === null) throw new Error('trace is off');
  const events: SubqueueEvent[] = [];
  const note = (kind: SubqueueEvent['kind'], q: number): void => {
    events.push({ kind, q, t: host.sim.now, j: host.jiffies, traceAt: trace.length });
  };
  const stop = dev.netifStopSubqueue.bind(dev);
  const start = dev.netifStartSubqueue.bind(dev);
  const wake = dev.netifWakeSubqueue.bind(dev);
  vi.spyOn(dev, 'netifStopSubqueue').mockImplementation((q) => {
    note('stop', q);
    stop(q);
  });
  vi.spyOn(dev, 'netifStartSubqueue').mockImplementation((q) => {
    note('start', q);
    start(q);
  });
  vi.spyOn(dev, 'netifWakeSubqueue').mockImplementation((q, on) => {
    note('wake', q);
    wake(q, on);
  });
  return () => ({
    events,
    finish: (records) => {
      const isTimerRun = (x: TraceRecord | undefined): x is TraceRecord => x !== undefined && x.host === host.name && x.what === 'run' && x.name === timerName;
      const timerRuns = records.filter(isTimerRun);
      const q0 = events.filter((e) => e.q === 0);
      const timerWakes: TimerWake[] = [];
      let last: SubqueueEvent | null = null;
      for (const e of q0) {
        if (e.kind === 'stop') last = e;
        // A wake made inside the timer's softirq run: that run's record is the next one pushed.
        const next = records[e.traceAt];
        if (e.kind === 'wake' && last !== null && isTimerRun(next) && next.t === e.t) {
          const from = last.t;
          timerWakes.push({ stop: last, wake: e, expiries: timerRuns.filter((x) => x.t > from && x.t <= e.t).length });
        }
      }
      // The stops that armed the timer: not those undone at once on finding room (stop, then start, same instant).
      const stops = q0.filter((e, i) => e.kind === 'stop' && !(q0[i + 1]?.kind === 'start' && q0[i + 1]?.t === e.t));
      const armedAt = (t: number): number => Math.max(...[...stops, ...timerRuns].filter((x) => x.t < t).map((x) => x.t));
      const stats = s.nd.queues[0]?.stats;
      return { host, timerRuns, timerWakes, armedAt, txTimerWakes: stats?.txTimerWakes ?? -1, txTimerExpiries: stats?.txTimerExpiries ?? -1, txStops: stats?.txStops ?? -1 };
    },
  });
}

/**
 * A 20 MB TCP stream EP→RC over 512 KiB windows (ring pressure) for 300 ms: what queue 0 of each
 * host did (EP sends the data, RC the ACKs).
 */
function underPressure(netdev: NtbNetdevOptions): Observed[] {
  const r = rig({ traceCapacity: 1 << 20, transport: { maxMwSize: 512 * 1024 }, netdev });
  // A jiffies timer's and a soft hrtimer's callbacks run as softirq work named after them; a hard hrtimer runs itself.
  const timerName = netdev.wakeTimer !== 'hrtimer' ? 'timer:ntb_netdev q0 tx_timer' : netdev.hrtimerMode === 'hard' ? 'ntb_netdev q0 tx_timer' : 'hrtimer:ntb_netdev q0 tx_timer';
  const sides = [r.ep, r.rc].map((s) => watch(s, timerName));
  tcpTransfer(r, r.ep, r.rc, 20_000_000, { functional: false });
  r.sim.run({ until: r.sim.now + 300e6 });
  const trace = r.sim.trace;
  expect(trace?.dropped).toBe(0);
  const records = trace?.toArray() ?? [];
  return sides.map((w) => w().finish(records));
}

describe('wake timer timing under ring pressure', () => {
  it('jiffy timer: a timer wake comes in a later jiffy than the stop that armed it, at the first tick after it (+1 jiffy per re-arm), never before', () => {
    const sides = underPressure({ wakeTimer: 'jiffy' });
    for (const o of sides) {
      const { host } = o;
      expect(o.timerRuns.length).toBe(o.txTimerExpiries);
      expect(o.timerWakes.length).toBe(o.txTimerWakes);
      expect(o.txTimerWakes).toBeLessThanOrEqual(o.txStops);
      expect(o.txStops).toBeGreaterThan(0);
      expect(o.timerWakes.length).toBeGreaterThan(0);
      const jiffiesAt = (t: number): number => Math.floor((t - host.jiffyStart(0)) / host.tickNs);
      // Every expiry runs in the jiffy after the one it was armed in (by a stop, or by the previous expiry's re-arm).
      for (const run of o.timerRuns) expect(jiffiesAt(run.t)).toBe(jiffiesAt(o.armedAt(run.t)) + host.usecsToJiffies(TX_TIME_US));
      for (const { stop, wake, expiries } of o.timerWakes) {
        expect(wake.t).toBeGreaterThan(stop.t);
        expect(expiries).toBeGreaterThanOrEqual(1);
        // Never before the first tick after the stop's jiffy; one more jiffy per expiry that found the ring short and re-armed.
        expect(wake.t).toBeGreaterThanOrEqual(host.jiffyStart(stop.j + 1));
        expect(wake.j - stop.j).toBe(expiries);
      }
    }
    // A jiffies timer, not a relative 1/HZ delay: a stop late in its jiffy is woken less than 1/HZ later.
    expect(Math.min(...sides.flatMap((o) => o.timerWakes.map((w) => w.wake.t - w.stop.t)))).toBeLessThan(sides[0]?.host.tickNs ?? 0);
    // The re-arm path is exercised: some wake took more than one expiry.
    expect(sides.some((o) => o.timerWakes.some((w) => w.expiries > 1))).toBe(true);
  });

  it.each([
    [250_000, 'soft'],
    [100_000, 'soft'],
    [250_000, 'hard'],
  ] as const)('hrtimer variant (%i ns, %s): a timer wake comes no earlier than the period after the stop, one period per expiry', (hrtimerNs, hrtimerMode) => {
    const sides = underPressure({ wakeTimer: 'hrtimer', ...(hrtimerNs === 250_000 ? {} : { hrtimerNs }), ...(hrtimerMode === 'soft' ? {} : { hrtimerMode }) });
    for (const o of sides) {
      expect(o.timerRuns.length).toBe(o.txTimerExpiries);
      expect(o.timerWakes.length).toBe(o.txTimerWakes);
      expect(o.txTimerWakes).toBeLessThanOrEqual(o.txStops);
      expect(o.timerWakes.length).toBeGreaterThan(0);
      for (const { stop, wake, expiries } of o.timerWakes) {
        expect(expiries).toBeGreaterThanOrEqual(1);
        expect(wake.t - stop.t).toBeGreaterThanOrEqual(expiries * hrtimerNs);
      }
      // Each expiry comes a period after its arm (a stop, or the expiry that re-armed), at once
      // when the CPU is free: not on the tick grid.
      const delays = o.timerRuns.map((run) => run.t - o.armedAt(run.t));
      expect(Math.min(...delays)).toBe(hrtimerNs);
    }
    expect(Math.min(...sides.flatMap((o) => o.timerWakes.map((w) => w.wake.t - w.stop.t)))).toBeLessThan(sides[0]?.host.tickNs ?? 0);
  });
});
