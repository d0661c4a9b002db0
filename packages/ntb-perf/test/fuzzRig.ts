/**
 * The model-based fuzz of ntb_perf: a case is a two-board rig (the EPF pair with ntb_perf on
 * both NTB buses) and a list of plain action records; `runCase` plays them, checks the
 * invariants after every action, at the end and after two heals, and returns a transcript
 * (every return code, every `done` call, `cat run` and `cat info` of both sides after every
 * action) for the determinism check. A broken invariant throws a `FuzzViolation` naming the
 * action, with the tail of the transcript.
 *
 * Invariants: nothing throws; runTest returns -EINVAL for a peer index out of range, -EBUSY
 * while a write of the side is pending, else 0 (and then calls `done` at most once, with 0,
 * -EBUSY or -EINTR); setThreadsCount returns -EINVAL outside 1..32, -EBUSY while a test runs,
 * else 0; `cat run` is -EBUSY only while a test runs, else the header and, for threads of the
 * last test in increasing order below its threads_count, either `N: error status -E` (E 4, 5
 * or 19) or `N: copied B bytes in U usecs, R MBytes/s` with B = 2^total_order (a multiple of
 * the chunk, min(2^chunk_order, window)), R = floor(B/U) (0 when U is 0) and, for a CPU copy,
 * R no faster than memcpy_toio; `cat info` says idle iff no test runs, and the outbound window
 * has a sane size; an rmmod returns only after its pending writes ended; no test is left running 1.5 s after the
 * side's last write ended; and liveness: a write ends (and the side is ready) within 7 s once
 * its side is healthy (below).
 *
 * Liveness is only due where the kernel guarantees it. ntb_perf's scratchpad command service
 * has no recovery of its own: a receiver reads a command slot only when its doorbell rings,
 * and a sender whose slot at the peer is still taken retries every 2 s, MSG_TRIES (1000) times,
 * then drops the command; an rmmod'ed side leaves 0 in its slots (perf_disable_service), so
 * the peer's commands wait for its reload. A command left in a slot whose doorbell was lost (a dropped doorbell, or a link
 * loss between the slot write and the doorbell) therefore wedges the handshake until the
 * slot's owner is reloaded (its probe writes PERF_CMD_INVAL into its scratchpads); a link
 * cycle does not clear it. The same goes for ntb_hw_epf's command channel (as in the kernel:
 * ntb_epf_send_command polls CMD_STATUS, gives up after NTB_EPF_COMMAND_TIMEOUT and then
 * writes 0 to it): a command the EP executed after the RC gave up on it over a dead link
 * leaves CMD_STATUS at OK, and every later RC command (LINK_UP of a reloaded RC, say) then
 * completes at once with its predecessor's status, one step ahead of the EP. And the vNTB
 * link status after a link recovery is what it was before the loss. So a side becomes
 * "healthy" (its writes due) only at a link recovery that both sides saw (both had cleared
 * PERF_STS_LNKUP) with no command stuck in a slot, the EPF channel in step (CMD_STATUS and
 * COMMAND 0) and the vNTB link status up; or at its own reload with the other side loaded and
 * the same conditions; a link loss, a lost doorbell or an rmmod ends it. DMA errors do not:
 * a failed descriptor still completes, and ntb_perf ignores its result.
 *
 * rmmod returns when perf_remove does (`rmmodWait`); modprobe once its link enable has.
 *
 * The end of a case: 3.5 s without actions; then heal 1, a link cycle both sides see, after
 * which (unless something above stands in the way) every write has ended and both sides are
 * ready; then heal 2, fresh modules in an order that works in the kernel, after which both
 * sides are ready (unless the EPF channel is out of step) and a test from each side succeeds.
 */
import fc from 'fast-check';
import { LINK_STATUS_UP, NTB_EPF_CMD_STATUS, NTB_EPF_COMMAND, NTB_EPF_LINK_STATUS, type EpfPortMode } from '@ntbsim/ntb-hw-epf';
import { createNtbPerfClient, MSG_RETRY_NS, MSG_TRIES, PERF_CMD_INVAL, PERF_SPAD, type NtbPerf, type NtbPerfClient } from '../src/index.js';
import { parseStats, perfRig, SETTLE_NS, type PerfRig } from './harness.js';

/** A board. */
export type Side = 'rc' | 'ep';

/** One step of a case. */
export type Action =
  /** Let virtual time pass (µs). */
  | { readonly kind: 'advance'; readonly us: number }
  /** `echo pidx > run` on `side` (0 is the one peer; anything else is out of range). */
  | { readonly kind: 'run'; readonly side: Side; readonly pidx: number }
  /** Ctrl-C to the process blocked in the write to `run` on `side`. */
  | { readonly kind: 'interrupt'; readonly side: Side }
  /** `echo n > threads_count` on `side`. */
  | { readonly kind: 'threads'; readonly side: Side; readonly n: number }
  /** Hardware link loss. */
  | { readonly kind: 'linkDown' }
  /** Hardware link recovery. */
  | { readonly kind: 'linkUp' }
  /** The next `count` DMA descriptors of `side` fail. */
  | { readonly kind: 'dmaError'; readonly side: Side; readonly count: number }
  /** The next `n` RC→EP doorbell writes are lost. */
  | { readonly kind: 'dropDoorbells'; readonly n: number }
  /** `rmmod ntb_perf` on `side` (ntb_unregister_client). */
  | { readonly kind: 'unload'; readonly side: Side }
  /** `modprobe ntb_perf use_dma=…` on `side` (after an rmmod if it is loaded): a new client. */
  | { readonly kind: 'load'; readonly side: Side; readonly useDma: boolean };

/** A whole case: the rig, the module parameters both sides start with, and the actions. */
export interface FuzzCase {
  readonly seed: number;
  readonly ports: EpfPortMode;
  /** Both vNTB windows (bytes). */
  readonly mwSize: number;
  readonly totalOrder: number;
  readonly chunkOrder: number;
  readonly useDma: boolean;
  /** Let the link and the handshake run (SETTLE_NS) before the first action. */
  readonly settle: boolean;
  readonly actions: readonly Action[];
}

/** Options of `runCase`. */
export interface RunCaseOptions {
  /** Skip the end-of-case heal (the regression tests of a short sequence). */
  readonly noHeal?: boolean;
}

/** A broken invariant: which one, at which action, with the transcript so far. */
export class FuzzViolation extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FuzzViolation';
  }
}

/** A write is due (it must have ended) this long after its side became healthy (ns): a handshake command that finds its slot still taken (by the peer's last command, or the 0 an rmmod leaves) is retried 2 s later, and the handshake has two such sends per side. */
export const LIVENESS_NS = 7_000_000_000;
/** The longest an `rmmod` or `modprobe` of ntb_perf may sleep in its EPF commands (ns): a few commands of at most 1 s each. */
const MODULE_OP_LIMIT_NS = 10_000_000_000;
/** After its write ended, a test's threads may still be stopping for this long (ns): a DMA thread retrying descriptor preparation gives up after DMA_TRIES × DMA_MDELAY = 1 s. */
export const STOP_GRACE_NS = 1_500_000_000;

const ERRNO_EINVAL = -22;
const ERRNO_EBUSY = -16;
const ERRNO_EINTR = -4;
const RUN_RETURNS = new Set([0, ERRNO_EINVAL, ERRNO_EBUSY]);
const DONE_CODES = new Set([0, ERRNO_EBUSY, ERRNO_EINTR]);
/** Thread error statuses `cat run` may print (as positive numbers): EINTR, EIO, ENODEV. */
const THREAD_ERRORS = new Set([4, 5, 19]);
const STATS_HEADER = '    Peer 0 test statistics:';
const BOTH = ['rc', 'ep'] as const;

const side: fc.Arbitrary<Side> = fc.constantFrom('rc', 'ep');

/** Random actions; time steps are mostly short (the handshake and a test take ms) with some long ones. */
export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('advance' as const), us: fc.integer({ min: 100, max: 5_000 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), us: fc.integer({ min: 5_000, max: 500_000 }) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('run' as const), side, pidx: fc.oneof({ weight: 5, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, -1) }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('interrupt' as const), side }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('threads' as const), side, n: fc.integer({ min: 0, max: 35 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'linkDown' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'linkUp' as const }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dmaError' as const), side, count: fc.integer({ min: 1, max: 4 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('dropDoorbells' as const), n: fc.integer({ min: 1, max: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('unload' as const), side }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('load' as const), side, useDma: fc.boolean() }) },
);

/** Random cases: small sizes (total_order 16..20, chunk_order 12..16) so each runs in milliseconds. */
export const fuzzCaseArb: fc.Arbitrary<FuzzCase> = fc.record({
  seed: fc.integer({ min: 1, max: 0x7fffffff }),
  ports: fc.constantFrom('distinct' as const, 'same' as const),
  mwSize: fc.constantFrom(1 << 15, 1 << 16, 1 << 20),
  totalOrder: fc.integer({ min: 16, max: 20 }),
  chunkOrder: fc.integer({ min: 12, max: 16 }),
  useDma: fc.boolean(),
  settle: fc.boolean(),
  actions: fc.array(actionArb, { minLength: 1, maxLength: 40 }),
});

interface Write {
  readonly id: number;
  readonly side: Side;
  readonly inst: NtbPerf;
  readonly at: number;
  readonly calls: number[];
  endedAt: number | null;
}

interface SideState {
  client: NtbPerfClient;
  /** The client is registered (ntb_perf loaded on this side). */
  loaded: boolean;
  /** threads_count in force when the test whose lines `cat run` prints started. */
  lastTestTcnt: number;
  /** The instance `lastResults` belongs to. */
  resultsOf: NtbPerf | null;
  lastResults: string;
  /** threads_count before the current action. */
  tcntBefore: number;
  /** Since when this side's writes are due within LIVENESS_NS (null: a fault or an unload since). */
  healthySince: number | null;
}

/** The one ntb_perf instance `client` bound, or null (not bound yet, or refused). */
export function instanceOf(client: NtbPerfClient): NtbPerf | null {
  const all = [...client.instances.values()];
  if (all.length > 1) throw new FuzzViolation(`client bound ${all.length} devices`);
  return all[0] ?? null;
}

/** Play `c` with every invariant checked; returns the transcript. */
export function runCase(c: FuzzCase, options: RunCaseOptions = {}): string[] {
  const params = { totalOrder: c.totalOrder, chunkOrder: c.chunkOrder, useDma: c.useDma };
  const rig: PerfRig = perfRig({ seed: c.seed, ports: c.ports, mwSizes: [c.mwSize, c.mwSize], perf: { params }, settleNs: 0 });
  const { sim, pair } = rig;
  /**
   * `rmmod` and `modprobe` return once the remove or probe has finished the calls that sleep
   * (link disable / enable, window translations: EPF commands): the rig waits for them as the
   * shell would. A command times out after 1 s, so that ends; past the limit it is a hang.
   */
  const sleepInModuleOps = (s: Side, what: string): string => {
    const from = sim.now;
    const dev = s === 'rc' ? pair.rc : pair.ep;
    if (!dev.sleepUntilIdle(MODULE_OP_LIMIT_NS)) fail(`${s}: ${what} still sleeping after ${MODULE_OP_LIMIT_NS} ns (${dev.sleepingOps} operations in flight)`);
    return sim.now === from ? '' : `${what} slept ${sim.now - from} ns`;
  };
  /**
   * `rmmod` of a bound instance returns when perf_remove does: after the writes to `run` in
   * progress (debugfs_remove_recursive waits for them), the CLEAR of each peer and
   * ntb_link_disable. A write that has not ended after LIVENESS_NS is signalled, as the user
   * would Ctrl-C the `echo` that holds rmmod (in the kernel rmmod would block until then). A
   * CLEAR waits behind the service's sends retrying a taken slot (flush_work waits for the run
   * in progress and the one queued behind it): SSIZE and SXLAT in each, up to MSG_TRIES × 2 s
   * apiece.
   */
  const rmmodWait = (s: Side, p: NtbPerf): string => {
    const from = sim.now;
    let removed = false;
    let running = false;
    p.whenRemoved(() => {
      removed = true;
      if (running) sim.stop();
    });
    const runUntil = (until: number): void => {
      running = true;
      while (!removed && sim.now < until) sim.run({ until });
      running = false;
    };
    runUntil(sim.now + LIVENESS_NS);
    let note = '';
    if (!removed && pendingOn(s).length > 0) {
      note = `writer signalled after ${sim.now - from} ns; `;
      p.interrupt();
    }
    if (!removed) runUntil(sim.now + 4 * MSG_TRIES * MSG_RETRY_NS + MODULE_OP_LIMIT_NS);
    if (!removed) fail(`${s}: rmmod still blocked ${sim.now - from} ns after it began (removing=${p.removing}, ${pendingOn(s).length} writes pending)`);
    return `${note}rmmod slept ${sim.now - from} ns`;
  };
  /** Every ntb_perf instance each side had (a removed one's threads may still be stopping). */
  const everyInst: Record<Side, NtbPerf[]> = { rc: [], ep: [] };
  /**
   * The fastest a CPU thread can report (MB/s): memcpy_toio at the profile's WC rate over the
   * host's run factor, with `chunks` copies each jittered by N(1, chargeJitterSd) (5 SD), and
   * usecs rounded down (one µs).
   */
  const cpuCeiling = (s: Side, chunks: number, usecs: number): number => {
    const host = s === 'rc' ? rig.rc : rig.ep;
    const jitter = 1 + (5 * rig.profile.noise.chargeJitterSd.value) / Math.sqrt(chunks);
    return ((rig.profile.memory.memcpyToWcMBps.value / host.costs.runScale) * jitter * (usecs + 1)) / usecs;
  };
  const log: string[] = [];
  const writes: Write[] = [];
  /** Broken invariants seen inside callbacks (reported after the action). */
  const problems: string[] = [];
  let step = -1;
  let current = 'setup';
  let nextId = 0;

  const fail = (what: string): never => {
    throw new FuzzViolation(`${what}\n  at action #${step} ${current} (t=${sim.now} ns)\n  transcript tail:\n    ${log.slice(-16).join('\n    ')}`);
  };
  const sides: Record<Side, SideState> = {
    rc: { client: rig.rcClient, loaded: true, lastTestTcnt: 1, resultsOf: null, lastResults: '[]', tcntBefore: 1, healthySince: null },
    ep: { client: rig.epClient, loaded: true, lastTestTcnt: 1, resultsOf: null, lastResults: '[]', tcntBefore: 1, healthySince: null },
  };
  const inst = (s: Side): NtbPerf | null => (sides[s].loaded ? instanceOf(sides[s].client) : null);
  const bus = (s: Side) => (s === 'rc' ? pair.buses.rc : pair.buses.ep);
  const other = (s: Side): Side => (s === 'rc' ? 'ep' : 'rc');
  const dropped = (): number => pair.fabric.stats('rc-to-ep').droppedFault + pair.fabric.stats('ep-to-rc').droppedFault;
  const pendingOn = (s: Side): Write[] => writes.filter((w) => w.side === s && w.endedAt === null);
  const lastEndOn = (p: NtbPerf): number => Math.max(-Infinity, ...writes.flatMap((w) => (w.inst === p && w.endedAt !== null ? [w.endedAt] : [])));
  const setHealthy = (which: readonly Side[], v: number | null): void => {
    for (const s of which) sides[s].healthySince = v;
  };
  /**
   * Commands left in a command slot (both slots of both directions live in the EP's memory:
   * the RC's commands in the EP's scratchpads, the EP's in its peer scratchpads). Read
   * locally on the EP, which changes nothing.
   */
  const stuckCommands = (): number[] => {
    return [0, 1].flatMap((g) => [pair.ep.spadRead(PERF_SPAD.cmd(g)) >>> 0, pair.ep.peerSpadRead(0, PERF_SPAD.cmd(g)) >>> 0]).filter((v) => v !== PERF_CMD_INVAL);
  };

  /** The EPF command channel is idle and in step, and the vNTB link status is up (read in the EP's ctrl region). */
  const epfReady = (): { readonly inStep: boolean; readonly linkUp: boolean } => {
    const v = new DataView(pair.ctrlBytes.buffer, pair.ctrlBytes.byteOffset, pair.ctrlBytes.byteLength);
    return { inStep: v.getUint16(NTB_EPF_CMD_STATUS, true) === 0 && v.getUint32(NTB_EPF_COMMAND, true) === 0, linkUp: (v.getUint16(NTB_EPF_LINK_STATUS, true) & LINK_STATUS_UP) !== 0 };
  };
  /** Why a recovery at this moment does not make a side healthy ('' when it does). */
  const notRecoverable = (rcProbe = false): string => {
    const stuck = stuckCommands();
    const epf = epfReady();
    if (!pair.fabric.linkUp) return 'link down';
    if (stuck.length > 0) return `stuck commands ${JSON.stringify(stuck)}`;
    if (!epf.inStep) return 'EPF command channel out of step';
    // A probing RC sends LINK_UP itself.
    if (!epf.linkUp && !rcProbe) return 'vNTB link status down';
    return '';
  };

  const outbufSize = (info: string): number | null => {
    const m = /\tOut buffer size 0x([0-9a-f]{16})\n/.exec(info);
    return m === null ? null : parseInt(m[1] ?? '', 16);
  };

  /** `cat run` of a test that ran `tcnt` threads: -EBUSY only while a test runs; otherwise the header and well-formed thread lines. The first problem, or null. */
  const statsProblem = (s: Side, p: NtbPerf, stats: string | number, tcnt: number): string | null => {
    if (typeof stats === 'number') return stats !== ERRNO_EBUSY || !p.running ? `${s}: readStats returned ${stats} with running=${p.running}` : null;
    if (p.running) return `${s}: readStats returned text while a test runs`;
    let parsed: ReturnType<typeof parseStats>;
    try {
      parsed = parseStats(stats);
    } catch (err) {
      return `${s}: ${(err as Error).message} in ${JSON.stringify(stats)}`;
    }
    if (parsed.header !== STATS_HEADER) return `${s}: stats header ${JSON.stringify(parsed.header)}`;
    const total = 2 ** p.params.totalOrder;
    const chunk = Math.min(2 ** p.params.chunkOrder, outbufSize(p.readInfo()) ?? Infinity);
    let prev = -1;
    for (const l of parsed.lines) {
      if (l.tidx <= prev) return `${s}: thread indices not increasing in ${JSON.stringify(stats)}`;
      prev = l.tidx;
      if (l.tidx >= tcnt) return `${s}: thread ${l.tidx} but the test ran ${tcnt} threads: ${JSON.stringify(stats)}`;
      if ('status' in l) {
        if (!THREAD_ERRORS.has(-l.status)) return `${s}: thread error status ${l.status} not one of -4, -5, -19`;
        continue;
      }
      if (l.mbps !== (l.usecs === 0 ? 0 : Math.floor(l.copied / l.usecs))) return `${s}: rate ${l.mbps} ≠ floor(${l.copied}/${l.usecs})`;
      // A CPU thread is no faster than memcpy_toio.
      const ceiling = cpuCeiling(s, total / chunk, l.usecs);
      if (!p.params.useDma && l.usecs > 0 && l.mbps > ceiling) return `${s}: thread ${l.tidx} reports ${l.mbps} MBytes/s, above the memcpy_toio ceiling ${Math.round(ceiling)}: ${JSON.stringify(stats)}`;
      if (l.copied > total || l.copied % chunk !== 0) return `${s}: copied ${l.copied} not a multiple of the chunk ${chunk} up to ${total}`;
      // A thread that reports a rate (status 0) finished: it copied all of 2^total_order.
      if (l.copied !== total) return `${s}: thread ${l.tidx} reports ${l.copied} bytes, 2^total_order is ${total}`;
    }
    return null;
  };

  /**
   * perf_clear_test ends every thread with dmaengine_terminate_sync: with no test running (nor
   * stopping) on a side, none of its DMA descriptors is left.
   */
  const dmaLeftover = (s: Side): string | null => {
    const engine = pair.dma[s].stats;
    const outstanding = engine.submitted - engine.completed - engine.failed - engine.terminated;
    if (outstanding === 0 || everyInst[s].some((q) => q.running)) return null;
    return `${s}: ${outstanding} DMA descriptors still outstanding with no test running (the kernel's perf_clear_test terminates them: dmaengine_terminate_sync)`;
  };

  /** The invariants that hold after any action. */
  const checkState = (): void => {
    if (problems.length > 0) fail(problems.join('; '));
    for (const s of BOTH) {
      const st = sides[s];
      const p = inst(s);
      const leftover = dmaLeftover(s);
      if (leftover !== null) fail(leftover);
      // Writes of an instance that is gone have ended (its rmmod returned only after they did).
      for (const w of pendingOn(s)) if (w.inst !== p) fail(`${s}: write #${w.id} of an unloaded ntb_perf never ended`);
      if (p === null) continue;
      // Which test `cat run` shows: the one running, else the one that changed the results
      // during this action (threads_count cannot change while a test runs).
      const results = JSON.stringify(p.results());
      if (p.running || st.resultsOf !== p) st.lastTestTcnt = p.threadsCount;
      else if (results !== st.lastResults) st.lastTestTcnt = st.tcntBefore;
      st.resultsOf = p;
      st.lastResults = results;
      const bad = statsProblem(s, p, p.readStats(), st.lastTestTcnt);
      if (bad !== null) fail(bad);
      const info = p.readInfo();
      if (!info.startsWith('    Performance measuring tool info:\n\n')) fail(`${s}: info header: ${JSON.stringify(info.slice(0, 60))}`);
      if (info.includes('Test status: idle\n') === p.running) fail(`${s}: info's test status disagrees with running=${p.running}`);
      const size = outbufSize(info);
      if (size === null || size <= 0 || size > 2 ** 32) fail(`${s}: bound with outbound window size ${/\tOut buffer size (.*)\n/.exec(info)?.[1]} (the kernel's ioremap of it fails: probe -ENOMEM)`);
      // No write pending and none ended lately: no test is left running.
      if (p.running && pendingOn(s).length === 0 && sim.now - lastEndOn(p) > STOP_GRACE_NS) fail(`${s}: a test is still running ${sim.now - lastEndOn(p)} ns after the last write ended, none pending`);
      // Liveness: a write has ended LIVENESS_NS after it started or the side became healthy (the later).
      const healthy = st.healthySince;
      if (healthy !== null) {
        const stuck = pendingOn(s).find((w) => sim.now - Math.max(healthy, w.at) >= LIVENESS_NS);
        if (stuck !== undefined) fail(`${s}: write #${stuck.id} (from t=${stuck.at}) still pending; the side has been healthy since t=${healthy} (peerReady=${p.peerReady(0)}, peerLinkUp=${p.peerLinkUp(0)}, running=${p.running}, stuck commands ${JSON.stringify(stuckCommands())})`);
        if (sim.now - healthy >= LIVENESS_NS && !p.peerReady(0)) fail(`${s}: not ready ${sim.now - healthy} ns after the side became healthy (peerLinkUp=${p.peerLinkUp(0)}, stuck commands ${JSON.stringify(stuckCommands())})`);
      }
    }
  };

  const observe = (): void => {
    for (const s of BOTH) {
      const p = inst(s);
      if (p === null) {
        log.push(`  ${s}: ${sides[s].loaded ? 'not bound' : 'unloaded'}`);
        continue;
      }
      log.push(`  ${s}: ready=${p.peerReady(0)} link=${p.peerLinkUp(0)} running=${p.running} tcnt=${p.threadsCount} stats=${JSON.stringify(p.readStats())}`);
      log.push(`  ${s} info: ${JSON.stringify(p.readInfo())}`);
    }
  };

  /** Register a new ntb_perf client on `s` (after unregistering the loaded one). */
  const load = (s: Side, useDma: boolean): string => {
    // A reloaded side redoes its handshake (and becomes healthy) when the other side is loaded
    // and nothing above stands in the way; its probe only clears its own scratchpads.
    const why = inst(other(s)) === null ? 'the other side is not loaded' : notRecoverable(s === 'rc');
    setHealthy(BOTH, null);
    const slept: string[] = [];
    if (sides[s].loaded) {
      const old = inst(s);
      bus(s).unregisterClient(sides[s].client);
      slept.push(old === null ? sleepInModuleOps(s, 'rmmod') : rmmodWait(s, old));
    }
    sides[s].loaded = false;
    const client = createNtbPerfClient({ params: { totalOrder: c.totalOrder, chunkOrder: c.chunkOrder, useDma } });
    sides[s].client = client;
    sides[s].loaded = true;
    bus(s).registerClient(client);
    slept.push(sleepInModuleOps(s, 'modprobe'));
    const p = instanceOf(client);
    // On the RC with the link down, peer_mw_get_addr reads the window offset as all-ones: the size
    // wraps, devm_ioremap_wc refuses it and the probe fails with -ENOMEM, as in the kernel.
    if (p === null && s === 'rc' && !pair.fabric.linkUp) return 'not bound (probe on a dead link: -ENOMEM)';
    if (p === null) return fail(`${s}: the reloaded ntb_perf did not bind`);
    everyInst[s].push(p);
    if (why === '') setHealthy([s], sim.now);
    return [why === '' ? 'recovery' : `no recovery: ${why}`, ...slept.filter((w) => w !== '')].join(', ');
  };

  const linkUp = (): string => {
    const wasDown = !pair.fabric.linkUp;
    const sawDown = BOTH.every((s) => inst(s)?.peerLinkUp(0) === false);
    pair.faults.linkUp();
    if (!wasDown || !sawDown) return '';
    const why = notRecoverable();
    if (why === '') setHealthy(BOTH, sim.now);
    return why === '' ? 'recovery' : `no recovery: ${why}`;
  };


  const act = (a: Action): string => {
    switch (a.kind) {
      case 'advance':
        sim.run({ until: sim.now + a.us * 1000 });
        return '';
      case 'run': {
        const p = inst(a.side);
        if (p === null) return 'no instance';
        // -EBUSY at once only when the peer is ready and a test runs; otherwise the write waits for the handshake.
        const busyBefore = p.peerReady(0) && p.running;
        const w: Write = { id: nextId++, side: a.side, inst: p, at: sim.now, calls: [], endedAt: null };
        const rc = p.runTest(a.pidx, (v) => {
          w.calls.push(v);
          log.push(`  done #${w.id} (${a.side}) = ${v} at t=${sim.now}`);
          if (w.calls.length > 1) problems.push(`${a.side}: done of write #${w.id} called ${w.calls.length} times (${w.calls.join(', ')})`);
          if (!DONE_CODES.has(v)) problems.push(`${a.side}: done of write #${w.id} called with ${v}, not 0, -16 or -4`);
          w.endedAt = sim.now;
          if (v === 0) {
            // After a successful run every thread line is well formed; threads_count is the test's (it cannot change while a test runs).
            const bad = statsProblem(a.side, p, p.readStats(), p.threadsCount) ?? dmaLeftover(a.side);
            if (bad !== null) problems.push(`as write #${w.id} ended with 0: ${bad}`);
          }
        });
        if (!RUN_RETURNS.has(rc)) fail(`${a.side}: runTest returned ${rc}, not 0, -22 or -16`);
        const expected = a.pidx !== 0 ? ERRNO_EINVAL : busyBefore ? ERRNO_EBUSY : 0;
        if (rc !== expected) fail(`${a.side}: runTest(${a.pidx}) returned ${rc}, expected ${expected}`);
        if (rc === 0) writes.push(w);
        else if (w.calls.length > 0) fail(`${a.side}: runTest returned ${rc} but called done(${w.calls.join(', ')})`);
        return `runTest=${rc} #${w.id}`;
      }
      case 'interrupt': {
        const p = inst(a.side);
        if (p === null) return 'no instance';
        p.interrupt();
        // A write waiting for the handshake ends at once; one whose test runs ends when its threads have stopped.
        const left = pendingOn(a.side)[0];
        if (left !== undefined && !p.running) fail(`${a.side}: write #${left.id} still pending after interrupt() with no test running`);
        return '';
      }
      case 'threads': {
        const p = inst(a.side);
        if (p === null) return 'no instance';
        const running = p.running;
        const rc = p.setThreadsCount(a.n);
        const expected = a.n < 1 || a.n > 32 ? ERRNO_EINVAL : running ? ERRNO_EBUSY : 0;
        if (rc !== expected) fail(`${a.side}: setThreadsCount(${a.n}) returned ${rc}, expected ${expected}`);
        if (rc === 0 && p.threadsCount !== a.n) fail(`${a.side}: threads_count is ${p.threadsCount} after setting ${a.n}`);
        return `setThreadsCount=${rc}`;
      }
      case 'linkDown':
        if (pair.fabric.linkUp) setHealthy(BOTH, null);
        pair.faults.linkDown();
        return '';
      case 'linkUp':
        return linkUp();
      case 'dmaError':
        // A failed descriptor still completes (ntb_perf ignores the result): no effect on liveness.
        pair.faults.dmaError(a.side, { count: a.count });
        return '';
      case 'dropDoorbells':
        // Takes effect (and ends health) when a doorbell is actually lost.
        pair.faults.dropDoorbells(a.n);
        return '';
      case 'unload': {
        if (!sides[a.side].loaded) return 'not loaded';
        const p = inst(a.side);
        bus(a.side).unregisterClient(sides[a.side].client);
        sides[a.side].loaded = false;
        setHealthy(BOTH, null);
        return p === null ? sleepInModuleOps(a.side, 'rmmod') : rmmodWait(a.side, p);
      }
      case 'load':
        return load(a.side, a.useDma);
    }
  };

  /** One step: `body`, then the transcript and every invariant. */
  const play = (name: string, body: () => string): void => {
    step++;
    current = name;
    for (const s of BOTH) sides[s].tcntBefore = inst(s)?.threadsCount ?? 1;
    const droppedBefore = dropped();
    let out: string;
    try {
      out = body();
    } catch (err) {
      if (err instanceof FuzzViolation) throw err;
      return fail(`threw: ${(err as Error).stack ?? String(err)}`);
    }
    // A lost doorbell may leave a command stuck: no longer healthy.
    if (dropped() > droppedBefore) setHealthy(BOTH, null);
    log.push(`#${step} t=${sim.now} ${name}${out === '' ? '' : ` → ${out}`}`);
    observe();
    checkState();
  };

  // Setup: the RC device registers once ntb_hw_epf's probe has finished (bounded wait).
  for (let i = 0; i < 100 && instanceOf(rig.rcClient) === null; i++) sim.run({ until: sim.now + 1_000_000 });
  for (const s of BOTH) {
    const p = instanceOf(sides[s].client);
    if (p === null) return fail('ntb_perf did not bind on both sides');
    everyInst[s].push(p);
  }
  if (c.settle) sim.run({ until: sim.now + SETTLE_NS });
  setHealthy(BOTH, sim.now);
  log.push(`setup ${JSON.stringify({ ...c, actions: c.actions.length })} t=${sim.now}`);
  observe();
  checkState();
  for (const a of c.actions) play(JSON.stringify(a), () => act(a));

  // The end: a quiet while (liveness due where healthy), then two heals. (1) A link cycle
  // both sides see: unless a command is stuck in a slot, every write ends and both sides are
  // ready. (2) Fresh modules (rmmod both, modprobe the EP then the RC with the link up): both
  // ready, and a test from each side succeeds with every thread copying 2^total_order.
  play('final settle', () => (sim.run({ until: sim.now + LIVENESS_NS + 500_000_000 }), ''));
  if (options.noHeal !== true) heal();
  for (const w of writes) log.push(`write #${w.id} ${w.side} at=${w.at} done=${JSON.stringify(w.calls)}`);
  return log;

  function heal(): void {
    const ready = (why: string): void => {
      for (const s of BOTH) {
        const p = inst(s);
        if (sides[s].healthySince !== null && p !== null && !p.peerReady(0)) fail(`${s}: not ready ${sim.now - sides[s].healthySince} ns after ${why} (peerLinkUp=${p.peerLinkUp(0)}, stuck commands ${JSON.stringify(stuckCommands())})`);
      }
    };
    play('heal 1: link down', () => {
      setHealthy(BOTH, null);
      pair.faults.linkDown();
      sim.run({ until: sim.now + 100_000_000 });
      return '';
    });
    play('heal 1: link up', linkUp);
    play('heal 1: settle', () => (sim.run({ until: sim.now + LIVENESS_NS }), ''));
    ready('a link cycle');
    // Fresh modules, in an order that works in the kernel: the EP has to see the link down
    // before its ntb_perf loads (else it sends SSIZE at once, into RC scratchpads that the RC's
    // probe then overwrites with PERF_CMD_INVAL), so an rmmod on the RC (LINK_DOWN) comes
    // first, loading it for that if need be; rmmod and modprobe wait for their link commands.
    // The probes clear both scratchpad sets: only the link and the EPF command channel have to
    // be in order. Done again while leftover doorbell drops (dropDoorbells) eat its doorbells.
    const why = !pair.fabric.linkUp ? 'link down' : epfReady().inStep ? '' : 'EPF command channel out of step';
    for (let round = 1; round <= 5; round++) {
      const droppedBefore = dropped();
      if (!sides.rc.loaded) play('heal 2: load rc', () => load('rc', c.useDma));
      play('heal 2: unload rc', () => act({ kind: 'unload', side: 'rc' }));
      if (sides.ep.loaded) play('heal 2: unload ep', () => act({ kind: 'unload', side: 'ep' }));
      play('heal 2: load ep', () => load('ep', c.useDma));
      play('heal 2: load rc', () => load('rc', c.useDma));
      setHealthy(BOTH, why === '' && dropped() === droppedBefore ? sim.now : null);
      play('heal 2: settle', () => (sim.run({ until: sim.now + LIVENESS_NS }), ''));
      const lost = dropped() > droppedBefore;
      log.push(`heal 2 (round ${round}): ${why !== '' ? `no recovery: ${why}` : lost ? 'no recovery: a doorbell was lost' : 'recovery'}`);
      if (!lost) break;
    }
    ready('fresh modules');
    for (const s of BOTH) {
      if (sides[s].healthySince === null) continue;
      play(`heal 2: run ${s}`, () => act({ kind: 'run', side: s, pidx: 0 }));
      play(`heal 2: wait ${s}`, () => (sim.run({ until: sim.now + 2_000_000_000 }), ''));
      const w = writes[writes.length - 1];
      const p = inst(s);
      if (w?.calls[0] !== 0 || p === null) return fail(`${s}: the test after fresh modules ended with ${JSON.stringify(w?.calls)}`);
      const lines = parseStats(p.readStats()).lines;
      if (lines.length !== 1 || !lines.every((l) => 'copied' in l)) fail(`${s}: the test after fresh modules: ${JSON.stringify(p.readStats())}`);
    }
  }
}
