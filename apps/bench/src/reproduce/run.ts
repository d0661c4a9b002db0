/**
 * One run of one scenario: boot the lab as the seed's boards were set up, run the seed's
 * iperf3 lines (server on the RC, client on the EP) through the lab's shell, read the
 * receiver's [SUM] from iperf3's JSON, and report where the time went in the steady state.
 */
import { getProfile, NS_PER_SEC, runSlices, type PlatformProfile, type TraceRecord } from '@ntbsim/kernel';
import { ETH_HLEN } from '@ntbsim/net-core';
import { labCommands } from '../commands.js';
import { bootLab, seedMwSizes, type Board, type BoardName, type Lab } from '../lab/lab.js';
import { defaultVars } from '../lab/script.js';
import { runLine } from '../lab/shell.js';
import { findBottleneck, sampleQueues, snapshot, type Bottleneck, type QueueLoads } from './bottleneck.js';
import { IPERF3_CLIENT, type RunConfig } from './scenarios.js';
import { diagnoseTxStall } from '../lab/diagnose.js';

/** Options of one run. */
export interface RunOptions {
  /** RNG seed of the run. */
  readonly seed: number;
  /** iperf3 `-t` (s). */
  readonly durationS: number;
  /** Real payload bytes (functional) or headers only (timing). */
  readonly payload: 'functional' | 'timing';
  /** Platform profile. Default rcar-s4. */
  readonly profile?: PlatformProfile;
  /** Trace a TIMELINE_NS window in the middle of the steady state and return it as `timeline`. */
  readonly timeline?: boolean;
}

/** How long a run's timeline window is (ns): 50 ms of virtual time, some 60 frames of 64 KiB at 600 Mb/s. */
export const TIMELINE_NS = 50_000_000;

/** One slice of a timeline: a context that ran on a CPU of a board, back-to-back steps merged. */
export interface TimelineSlice {
  /** The board. */
  readonly board: BoardName;
  /** The CPU. */
  readonly cpu: number;
  /** Start (ns from the window's start). */
  readonly startNs: number;
  /** How long it ran (ns). */
  readonly durNs: number;
  /** Its context kind: hardirq, softirq, kthread or user. */
  readonly kind: string;
  /** The context (the tasklet, softirq vector, kthread or task). */
  readonly name: string;
}

/** A window of a run: what ran on which CPU of each board, from the kernel's trace. */
export interface Timeline {
  /** Where the window starts (ns from the start of the iperf3 test). */
  readonly fromNs: number;
  /** Its length (ns). */
  readonly lenNs: number;
  /** CPUs per board. */
  readonly cpus: Readonly<Record<BoardName, number>>;
  /** The slices, in time order. */
  readonly slices: TimelineSlice[];
}

/** The timeline of trace `records` taken over [fromNs, fromNs + lenNs) of a test that began at `testStart` (ns of virtual time). */
export function timelineOf(records: readonly TraceRecord[], lab: Lab, window: { readonly testStart: number; readonly fromNs: number; readonly lenNs: number }): Timeline {
  const { testStart, fromNs, lenNs } = window;
  const start = testStart + fromNs;
  const slices = runSlices(records).flatMap((x): TimelineSlice[] =>
    x.host === 'rc' || x.host === 'ep' ? [{ board: x.host, cpu: x.cpu, startNs: x.start - start, durNs: x.end - x.start, kind: x.kind, name: x.name }] : [],
  );
  return { fromNs, lenNs, cpus: { rc: lab.boards.rc.host.cpus.length, ep: lab.boards.ep.host.cpus.length }, slices };
}

/** The result of one run. */
export interface RunResult {
  /** Receiver [SUM] bitrate (Mb/s). */
  readonly mbps: number;
  /** Sender [SUM] bitrate (Mb/s). */
  readonly senderMbps: number;
  /** Where the time went. */
  readonly bottleneck: Bottleneck;
  /** Simulation events executed. */
  readonly events: number;
  /** Virtual seconds simulated. */
  readonly simS: number;
  /**
   * Share of the bytes the sending board's ntb0 transmitted on each TX queue during the test
   * (0..1 per queue, from the driver's `tx_queue_N_bytes` counters): how iperf3's streams were
   * spread (netdev_pick_tx hashes each socket's random sk_txhash when there is no XPS).
   */
  readonly txQueueShare: number[];
  /** The traced window, when `RunOptions.timeline` asked for one. */
  readonly timeline?: Timeline;
}

/** A run that did not produce a result: what failed, and why traffic stopped when the model shows it. */
export class RunFailure extends Error {
  /** `diagnoseTxStall` of the lab when the run failed, or null. */
  readonly stall: string | null;
  constructor(message: string, stall: string | null) {
    super(message);
    this.name = 'RunFailure';
    this.stall = stall;
  }
}

/**
 * The seed's board setup for `scenario`: R-Car S4 with the MWs in BAR2 (by default one 1 MiB
 * MW per QP; more QPs than MWs share them through max_num_clients), 512M socket buffers allowed,
 * and the scenario's ntb0 txqueuelen, MTU and the receiver's RPS maps and RFS tables when it sets them.
 */
export function bootScenario(scenario: RunConfig, options: RunOptions): Lab {
  const mws = scenario.mwCount ?? Math.min(scenario.queues, 4);

  const transport = { ...(scenario.transport ?? {}), ...(scenario.queues > mws ? { maxNumClients: scenario.queues } : {}) };
  const lab = bootLab({
    profile: options.profile ?? getProfile('rcar-s4'),
    seed: options.seed,
    payload: options.payload,
    doorbell: { rc: scenario.doorbell, ep: scenario.doorbell },
    ...(scenario.dwMsi === undefined ? {} : { msi: scenario.dwMsi }),
    vntb: { mwSizes: scenario.mwSize === undefined ? seedMwSizes(mws) : Array.from({ length: mws }, () => scenario.mwSize as number), ...(scenario.epDoorbell === 'irq' ? { doorbellIrq: true } : {}) },
    params: { transport, netdev: { variant: scenario.variant, queues: scenario.queues, ...(scenario.wakeTimer === undefined ? {} : { wakeTimer: scenario.wakeTimer }), ...(scenario.hrtimerMode === undefined ? {} : { hrtimerMode: scenario.hrtimerMode }) } },
    sysctl: { 'net.core.wmem_max': 1 << 30, 'net.core.rmem_max': 1 << 30, ...scenario.sysctl },
  });
  if (scenario.txqueuelen !== undefined) for (const board of [lab.boards.rc, lab.boards.ep]) board.netdev()?.ndev.setTxqueuelen(scenario.txqueuelen);
  if (scenario.mtu !== undefined) setMtu(lab, scenario.mtu);
  const receiver = scenario.direction === 'rc-to-ep' ? 'ep' : 'rc';
  if (scenario.rpsCpus !== undefined) setRps(lab, receiver, scenario.rpsCpus);
  if (scenario.rfs === true) setRfs(lab, receiver);
  if (scenario.spreadIrqs) {
    // QP q's doorbell is vector / DB slot q + 2 on both boards: the host's MSI vectors, and the
    // EP's doorbell interrupts when it takes them (`ep_doorbell=irq`; polled, it has none).
    for (const [board, vectors] of [
      ['rc', lab.pair.rcIrqs()],
      ['ep', lab.pair.epIrqs()],
    ] as const) {
      const cpus = lab.boards[board].host.cpus.length;
      // A DWC MSI without genirq's redirection cannot be steered: the write fails (EIO), as the
      // seed's `echo MASK > /proc/irq/N/smp_affinity` would, and the vector stays where it is.
      for (let q = 0; q < scenario.queues; q++) if (vectors[q + 2]?.noAffinity === false) vectors[q + 2]?.setAffinity(1 << ((q + 1) % cpus));
    }
  }
  return lab;
}

/** `echo MASK > …/rx-N/rps_cpus` for every real RX queue of ntb0 on `board`; a mask of no CPU the board has fails the run. */
function setRps(lab: Lab, board: 'rc' | 'ep', mask: number): void {
  const dev = lab.boards[board].netdev()?.ndev;
  if (dev === undefined) return;
  try {
    for (let q = 0; q < dev.realNumRxQueues; q++) dev.setRpsCpus(q, mask);
  } catch (e) {
    throw new RunFailure(`rps_cpus ${mask.toString(16)} on ${board}: ${e instanceof Error ? e.message : String(e)}`, null);
  }
}

/** RFS on `board`: `sysctl -w net.core.rps_sock_flow_entries=32768` and `echo 2048 > …/rx-N/rps_flow_cnt` for every real RX queue of ntb0. */
function setRfs(lab: Lab, board: 'rc' | 'ep'): void {
  const b = lab.boards[board];
  b.stack.setSysctl('net.core.rps_sock_flow_entries', RFS_SOCK_FLOW_ENTRIES);
  const dev = b.netdev()?.ndev;
  if (dev !== undefined) for (let q = 0; q < dev.realNumRxQueues; q++) dev.setRpsFlowCnt(q, RFS_FLOW_CNT);
}

/** The RFS table sizes `rfs` sets: scaling.rst's suggestion for a moderately loaded server (global entries, per-queue flows with one queue). */
const RFS_SOCK_FLOW_ENTRIES = 32768;
const RFS_FLOW_CNT = 2048;

/**
 * `ip link set ntb0 mtu N` on both boards of a booted lab, then the simulation until every QP is
 * up again (ntb_netdev's change_mtu takes them down and up), within 5 s of virtual time; a
 * RunFailure naming what the device refused or which QPs stayed down otherwise.
 */
function setMtu(lab: Lab, mtu: number): void {
  const boards = [lab.boards.rc, lab.boards.ep];
  for (const b of boards) {
    const netdev = b.netdev();
    if (netdev === null) continue;
    // ntb_netdev_change_mtu refuses more than max_size − ETH_HLEN.
    const max = (netdev.queues[0]?.qp.maxSize() ?? 0) - ETH_HLEN;
    try {
      netdev.ndev.setMtu(mtu);
    } catch (e) {
      throw new RunFailure(`ip link set ntb0 mtu ${mtu} on ${b.name}: ${e instanceof Error ? e.message : String(e)} (ntb_netdev takes 68..${max}: max_size − ETH_HLEN)`, null);
    }
  }
  const up = (): boolean => boards.every((b) => (b.netdev()?.queues ?? []).every((q) => q.qp.linkQuery()));
  const deadline = lab.sim.now + 5 * NS_PER_SEC;
  while (!up() && lab.sim.now < deadline) lab.sim.run({ until: lab.sim.now + 1_000_000 });
  if (!up()) throw new RunFailure(`ip link set ntb0 mtu ${mtu}: the queue pairs did not come back up within 5 s`, diagnoseTxStall(lab));
}

/** `tx_queue_N_bytes` of `board`'s ntb0 by queue, read through the ethtool stats contract. */
function txQueueBytes(board: Board): number[] {
  const dev = board.netdev();
  if (dev === null) return [];
  const names = dev.getStatsStrings();
  const values = dev.getEthtoolStats();
  const bytes: number[] = [];
  names.forEach((name, i) => {
    const m = /^tx_queue_(\d+)_bytes$/.exec(name);
    if (m !== null) bytes[Number(m[1])] = values[i] ?? 0;
  });
  return Array.from(bytes, (b) => b ?? 0);
}

/** Each queue's share of the bytes sent between two `txQueueBytes` readings (all 0 when nothing was sent). */
export function queueShares(before: readonly number[], after: readonly number[]): number[] {
  const delta = after.map((b, i) => Math.max(0, b - (before[i] ?? 0)));
  const total = delta.reduce((a, b) => a + b, 0);
  return delta.map((d) => (total > 0 ? Math.round((d / total) * 1000) / 1000 : 0));
}

/** The error a failed iperf3 -J client reported (its JSON `error`), else its stderr. */
function iperf3Error(stdout: string, stderr: string): string {
  try {
    const e = (JSON.parse(stdout) as { error?: unknown }).error;
    if (typeof e === 'string') return e;
  } catch {
    // not JSON: fall back to stderr
  }
  return (stderr.trim() || stdout.trim().slice(0, 400)) || `exited without output`;
}

function sumBps(json: unknown, key: 'sum_received' | 'sum_sent' | 'sum'): number {
  const end = (json as { end?: Record<string, { bits_per_second?: number }> }).end;
  return end?.[key]?.bits_per_second ?? NaN;
}

/** The largest of the streams' mean RTTs in an iperf3 -J client's `end.streams[].sender.mean_rtt` (µs) as ms, or null when none has one (UDP). */
export function maxMeanRttMs(json: unknown): number | null {
  const streams = (json as { end?: { streams?: { sender?: { mean_rtt?: unknown } }[] } }).end?.streams ?? [];
  const rtts = streams.flatMap((s) => (typeof s.sender?.mean_rtt === 'number' ? [s.sender.mean_rtt / 1000] : []));
  return rtts.length === 0 ? null : Math.max(...rtts);
}

/** Run `scenario` once. */
export function runScenario(scenario: RunConfig, options: RunOptions): RunResult {
  const lab = bootScenario(scenario, options);
  const commands = labCommands();
  const env = (b: 'rc' | 'ep') => ({ lab, board: lab.boards[b], vars: defaultVars(lab, lab.boards[b]) });
  const [srv, cli] = scenario.direction === 'rc-to-ep' ? (['ep', 'rc'] as const) : (['rc', 'ep'] as const);
  // Not -D: a daemon's start-up errors (a bad -A, a port in use) go to /dev/null, as iperf3's do.
  const server = runLine(`iperf3 -s${scenario.serverCpu === undefined ? '' : ` -A ${scenario.serverCpu}`}`, env(srv), commands);
  if (server.status !== 0) throw new RunFailure(`iperf3 server: ${server.stderr.trim()}`, null);
  let before = { rc: snapshot(lab.boards.rc, lab.pair), ep: snapshot(lab.boards.ep, lab.pair) };
  const sentBefore = txQueueBytes(lab.boards[cli]);
  const t0 = lab.sim.now;
  const ev0 = lab.sim.eventsRun;
  // Where the time went is measured over the steady state: from 1 s in to the end of the
  // transfer, leaving out slow start and the end-of-test exchange (whole run when shorter).
  let steady: typeof before | null = null;
  const steadyFrom = options.durationS >= 2 ? t0 + NS_PER_SEC : t0;
  const queues: () => QueueLoads = sampleQueues(lab, steadyFrom, t0 + options.durationS * NS_PER_SEC);
  if (options.durationS >= 2) {
    lab.sim.at(steadyFrom, () => {
      before = { rc: snapshot(lab.boards.rc, lab.pair), ep: snapshot(lab.boards.ep, lab.pair) };
    });
    lab.sim.at(t0 + options.durationS * NS_PER_SEC, () => {
      steady = { rc: snapshot(lab.boards.rc, lab.pair), ep: snapshot(lab.boards.ep, lab.pair) };
    });
  }
  // The timeline window: the middle TIMELINE_NS of the steady state (or of the whole run).
  const end = t0 + options.durationS * NS_PER_SEC;
  const windowFrom = Math.max(steadyFrom, Math.round((steadyFrom + end - TIMELINE_NS) / 2));
  let timeline: Timeline | undefined;
  if (options.timeline === true) {
    lab.sim.at(windowFrom, () => lab.sim.startTrace(1_000_000));
    lab.sim.at(windowFrom + TIMELINE_NS, () => {
      timeline = timelineOf(lab.sim.stopTrace()?.toArray() ?? [], lab, { testStart: t0, fromNs: windowFrom - t0, lenNs: TIMELINE_NS });
    });
  }
  const target = lab.boards[srv].ip;
  const cc = scenario.congestion === undefined ? '' : ` -C ${scenario.congestion}`;
  const client = runLine(`${IPERF3_CLIENT[scenario.protocol].replace('${SERVER_IP}', target)} -t ${options.durationS} -J${cc}`, env(cli), commands);
  if (client.status !== 0) throw new RunFailure(`iperf3 client: ${iperf3Error(client.stdout, client.stderr)}`, diagnoseTxStall(lab));
  const after = steady ?? { rc: snapshot(lab.boards.rc, lab.pair), ep: snapshot(lab.boards.ep, lab.pair) };
  const txQueueShare = queueShares(sentBefore, txQueueBytes(lab.boards[cli]));
  const json: unknown = JSON.parse(client.stdout);
  return {
    mbps: sumBps(json, 'sum_received') / 1e6,
    senderMbps: sumBps(json, 'sum_sent') / 1e6,
    bottleneck: findBottleneck({ rc: { before: before.rc, after: after.rc }, ep: { before: before.ep, after: after.ep } }, { receiver: srv, queues: queues(), rttMs: maxMeanRttMs(json) }),
    events: lab.sim.eventsRun - ev0,
    simS: (lab.sim.now - t0) / NS_PER_SEC,
    txQueueShare,
    ...(timeline === undefined ? {} : { timeline }),
  };
}
