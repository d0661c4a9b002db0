/**
 * Fault injection in the lab (issue #8): the `FaultSpec` API (`injectFault`, 0 or -errno, all
 * arguments checked before anything changes) and the `fault` lab command over it, with
 * real-tool-style usage errors (status 2) and failures (status 1).
 *
 * Faults: hardware link loss/recovery, ntb_transport link down/up of one board's QPs, a
 * netdev reset (ndo_stop + ndo_open: LINK_DOWN to the peer, RX buffers drained and
 * re-posted, QP handshake again), a peer reset by module reload (ntb_netdev and ntb_transport
 * removed, ntb_transport_free telling the peer, then loaded, renegotiated and configured again;
 * it takes virtual time, as rmmod and modprobe sleep in their EPF link commands: `reloadState`
 * follows it, `awaitReload` waits for it), WC linger, lost doorbells and MSIs, spurious doorbells and
 * MSIs, DMA descriptor errors, a stalled EP command handler, and RX buffer exhaustion (the next
 * N RX buffer allocations of ntb_netdev fail, as with failslab: the buffer is not re-posted and
 * ntb0 counts rx_errors / rx_fifo_errors, as the kernel's rx_handler does), and storms of
 * `ethtool -L ntb0 combined N` or `ip link set ntb0 mtu N` (one value every PERIOD ms, run as
 * the lab commands run them, while the board's other commands go on).
 */
import { ERRNO } from '@ntbsim/kernel';
import { ETH_HLEN } from '@ntbsim/net-core';
import type { TransportQp } from '@ntbsim/ntb-transport';
import { configureNtb0, type Board, type BoardName, type Lab } from '../lab/lab.js';
import { ethtool } from '../tools/ethtool.js';
import { ip } from '../tools/system.js';
import { result, type Command, type CommandResult } from '../types.js';

/** A fault to inject. `board` names the board for board-local faults. */
export type FaultSpec =
  | { readonly kind: 'link'; readonly up: boolean; readonly silent?: boolean }
  | { readonly kind: 'qp-link'; readonly board: BoardName; readonly up: boolean }
  | { readonly kind: 'reset'; readonly board: BoardName }
  | { readonly kind: 'reload'; readonly board: BoardName }
  | { readonly kind: 'wc-linger'; readonly ns: number; readonly side: BoardName | 'both' }
  | { readonly kind: 'drop-doorbells'; readonly count: number }
  | { readonly kind: 'drop-msis'; readonly count: number }
  | { readonly kind: 'spurious-doorbell'; readonly to: 'ep'; readonly slot: number }
  | { readonly kind: 'spurious-doorbell'; readonly to: 'rc'; readonly vector: number }
  | { readonly kind: 'dma-error'; readonly side: BoardName; readonly count: number; readonly channel?: number }
  | { readonly kind: 'stall-ep'; readonly stalled: boolean }
  | { readonly kind: 'rx-exhaust'; readonly board: BoardName; readonly count: number }
  | { readonly kind: 'storm'; readonly board: BoardName; readonly what: StormKind; readonly values: readonly number[]; readonly periodMs: number };

/** What a storm changes: the channel count (`ethtool -L ntb0 combined N`) or the MTU (`ip link set ntb0 mtu N`). */
export type StormKind = 'channels' | 'mtu';

/** Most values one storm takes. */
export const STORM_MAX_VALUES = 1000;
/** Longest storm period accepted (ms). */
export const STORM_MAX_PERIOD_MS = 10_000;

/** Progress of a storm on a board. */
export interface StormState {
  /** What it changes. */
  readonly what: StormKind;
  /** Values in all. */
  readonly total: number;
  /** Commands run so far that succeeded. */
  applied: number;
  /** Commands run so far that failed (each with the tool's own error). */
  failed: number;
  /** The last failure's stderr, or ''. */
  lastError: string;
}

const storms = new WeakMap<Lab, Map<BoardName, StormState>>();

/** A board's module reload (the `reload` fault): still in progress, or how it ended. */
export interface ReloadState {
  /** Still between its rmmod and the end of its modprobe and ntb0 setup. */
  pending: boolean;
  /** 0, or the -errno bringing ntb0 back failed with (-ENODEV: ntb_transport's probe failed, e.g. on a dead link). */
  rc: number;
  /** @internal Called when it ends (`awaitReload` stops the simulation there). */
  onEnd: (() => void) | null;
}

const reloads = new WeakMap<Lab, Map<BoardName, ReloadState>>();

/** The last reload of `board` in `lab`, if any. */
export function reloadState(lab: Lab, board: BoardName): Readonly<ReloadState> | undefined {
  return reloads.get(lab)?.get(board);
}

/** The longest a reload may take (ns): its rmmod and modprobe, a few EPF commands of at most 1 s each. */
export const RELOAD_LIMIT_NS = 30_000_000_000;

/**
 * Run the simulation until the reload of `board` has ended, as the shell running `modprobe -r
 * …; modprobe …` would; its result (0 or -errno), or -ETIMEDOUT past RELOAD_LIMIT_NS. For a
 * caller at the top level, between simulation runs.
 */
export function awaitReload(lab: Lab, board: BoardName): number {
  const state = reloads.get(lab)?.get(board);
  if (state === undefined) return 0;
  const sim = lab.sim;
  const until = sim.now + RELOAD_LIMIT_NS;
  state.onEnd = () => sim.stop();
  while (state.pending && sim.now < until) sim.run({ until });
  state.onEnd = null;
  return state.pending ? -ERRNO.ETIMEDOUT : state.rc;
}

/** The storm running or last run on `board` of `lab`, if any. */
export function stormState(lab: Lab, board: BoardName): StormState | undefined {
  return storms.get(lab)?.get(board);
}

/** Largest count a fault accepts (drops, errors, failed allocations). */
export const FAULT_MAX_COUNT = 1_000_000;
/** Largest WC linger accepted (ns): 1 s. */
export const FAULT_MAX_LINGER_NS = 1_000_000_000;

const rxFailures = new WeakMap<TransportQp, { left: number }>();

const isBoard = (v: unknown): v is BoardName => v === 'rc' || v === 'ep';
const isCount = (v: unknown, max = FAULT_MAX_COUNT): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= max;

/** Why `spec` is invalid for `lab` (a message naming the field and the allowed range), or null. */
export function checkFault(lab: Lab, spec: FaultSpec): string | null {
  switch (spec.kind) {
    case 'link':
      if (typeof spec.up !== 'boolean') return `up: got ${JSON.stringify(spec.up)}, allowed true or false`;
      return spec.silent === undefined || typeof spec.silent === 'boolean' ? null : `silent: got ${JSON.stringify(spec.silent)}, allowed true or false`;
    case 'stall-ep':
      return typeof spec.stalled === 'boolean' ? null : `stalled: got ${JSON.stringify(spec.stalled)}, allowed true or false`;
    case 'reload':
      if (!isBoard(spec.board)) return `board: got ${JSON.stringify(spec.board)}, allowed rc or ep`;
      return reloadState(lab, spec.board)?.pending === true ? `${spec.board}: a reload is still in progress (its rmmod or modprobe sleeping in an EPF command)` : null;
    case 'qp-link':
    case 'reset': {
      if (!isBoard(spec.board)) return `board: got ${JSON.stringify(spec.board)}, allowed rc or ep`;
      const board = lab.boards[spec.board];
      if (spec.kind === 'qp-link' && typeof spec.up !== 'boolean') return `up: got ${JSON.stringify(spec.up)}, allowed true or false`;
      if (board.netdev() === null) return `${spec.board}: ntb_netdev is not loaded`;
      const pending = pendingRxFailures(board);
      return spec.kind === 'reset' && pending > 0 ? `${spec.board}: ${pending} RX buffer allocation failure(s) still armed (rx-exhaust): ndo_open would fail with -ENOMEM and leave ntb0 down` : null;
    }
    case 'wc-linger':
      if (!isCount(spec.ns, FAULT_MAX_LINGER_NS)) return `ns: got ${JSON.stringify(spec.ns)}, allowed an integer in 0..${FAULT_MAX_LINGER_NS}`;
      return isBoard(spec.side) || spec.side === 'both' ? null : `side: got ${JSON.stringify(spec.side)}, allowed rc, ep or both`;
    case 'drop-doorbells':
    case 'drop-msis':
      return isCount(spec.count) ? null : `count: got ${JSON.stringify(spec.count)}, allowed an integer in 0..${FAULT_MAX_COUNT}`;
    case 'spurious-doorbell': {
      if (spec.to === 'ep') {
        const max = lab.pair.config.dbCount - 1;
        return isCount(spec.slot, max) ? null : `slot: got ${JSON.stringify(spec.slot)}, allowed an integer in 0..${max}`;
      }
      if (spec.to === 'rc') {
        const max = lab.pair.rcIrqs().length - 1;
        return isCount(spec.vector, max) ? null : `vector: got ${JSON.stringify(spec.vector)}, allowed an integer in 0..${max}`;
      }
      return `to: got ${JSON.stringify((spec as { to: unknown }).to)}, allowed ep or rc`;
    }
    case 'dma-error': {
      if (!isBoard(spec.side)) return `side: got ${JSON.stringify(spec.side)}, allowed rc or ep`;
      if (!isCount(spec.count) || spec.count < 1) return `count: got ${JSON.stringify(spec.count)}, allowed an integer in 1..${FAULT_MAX_COUNT}`;
      const chans = lab.pair.dma[spec.side].channelCount;
      if (spec.channel !== undefined && !isCount(spec.channel, chans - 1)) return `channel: got ${JSON.stringify(spec.channel)}, allowed an integer in 0..${chans - 1}`;
      return null;
    }
    case 'rx-exhaust':
      if (!isBoard(spec.board)) return `board: got ${JSON.stringify(spec.board)}, allowed rc or ep`;
      if (!isCount(spec.count)) return `count: got ${JSON.stringify(spec.count)}, allowed an integer in 0..${FAULT_MAX_COUNT}`;
      return lab.boards[spec.board].netdev() === null ? `${spec.board}: ntb_netdev is not loaded` : null;
    case 'storm':
      return checkStorm(lab, spec);
    default:
      return `kind: got ${JSON.stringify((spec as { kind: unknown }).kind)}, allowed link, qp-link, reset, reload, wc-linger, drop-doorbells, drop-msis, spurious-doorbell, dma-error, stall-ep, rx-exhaust, storm`;
  }
}

function checkStorm(lab: Lab, spec: Extract<FaultSpec, { kind: 'storm' }>): string | null {
  if (!isBoard(spec.board)) return `board: got ${JSON.stringify(spec.board)}, allowed rc or ep`;
  const nd = lab.boards[spec.board].netdev();
  if (nd === null) return `${spec.board}: ntb_netdev is not loaded`;
  if (spec.what !== 'channels' && spec.what !== 'mtu') return `what: got ${JSON.stringify(spec.what)}, allowed channels or mtu`;
  if (!isCount(spec.periodMs, STORM_MAX_PERIOD_MS) || spec.periodMs < 1) return `period: got ${JSON.stringify(spec.periodMs)}, allowed an integer in 1..${STORM_MAX_PERIOD_MS} (ms)`;
  const values: readonly unknown[] = Array.isArray(spec.values) ? (spec.values as readonly unknown[]) : [];
  if (values.length < 1 || values.length > STORM_MAX_VALUES) return `values: allowed 1..${STORM_MAX_VALUES} of them`;
  const [lo, hi] = spec.what === 'channels' ? [1, nd.getChannels().maxCombined] : [nd.ndev.minMtu, Math.min(nd.ndev.maxMtu, (nd.queues[0]?.qp.maxSize() ?? ETH_HLEN) - ETH_HLEN)];
  if (spec.what === 'channels' && nd.variant === 'baseline') return `${spec.board}: the baseline ntb_netdev has no channels to set`;
  const bad = values.find((v) => !isCount(v, hi) || v < lo);
  if (bad !== undefined) return `values: got ${JSON.stringify(bad)}, allowed ${spec.what === 'channels' ? 'channel counts' : 'MTUs'} in ${lo}..${hi}`;
  const running = stormState(lab, spec.board);
  if (running !== undefined && running.applied + running.failed < running.total) return `${spec.board}: a ${running.what} storm is still running (${running.total - running.applied - running.failed} of ${running.total} left)`;
  return null;
}

/** Run one value of a storm on `board`, as its lab command. */
function stormStep(lab: Lab, spec: Extract<FaultSpec, { kind: 'storm' }>, value: number, state: StormState): void {
  const env = { lab, board: lab.boards[spec.board], vars: new Map<string, string>() };
  const r = spec.what === 'channels' ? ethtool(['ethtool', '-L', 'ntb0', 'combined', String(value)], env) : ip(['ip', 'link', 'set', 'ntb0', 'mtu', String(value)], env);
  if (r.status === 0) state.applied++;
  else {
    state.failed++;
    state.lastError = r.stderr.trim();
  }
}

function startStorm(lab: Lab, spec: Extract<FaultSpec, { kind: 'storm' }>): void {
  const state: StormState = { what: spec.what, total: spec.values.length, applied: 0, failed: 0, lastError: '' };
  const map = storms.get(lab) ?? new Map<BoardName, StormState>();
  map.set(spec.board, state);
  storms.set(lab, map);
  const t0 = lab.sim.now;
  spec.values.forEach((v, i) => lab.sim.at(t0 + i * spec.periodMs * 1_000_000, () => stormStep(lab, spec, v, state)));
}

function armRxExhaust(board: Board, count: number): void {
  const nd = board.netdev();
  if (nd === null) return;
  for (const q of nd.queues) {
    const qp = q.qp;
    const state = rxFailures.get(qp);
    if (state !== undefined) {
      state.left = count;
      continue;
    }
    const s = { left: count };
    rxFailures.set(qp, s);
    const enqueue = qp.rxEnqueue.bind(qp);
    qp.rxEnqueue = (cb, buf, len, ctx) => {
      if (s.left > 0) {
        s.left--;
        return -ERRNO.ENOMEM;
      }
      return enqueue(cb, buf, len, ctx);
    };
  }
}

/** RX buffer allocations still set to fail on `board` (summed over its queues). */
export function pendingRxFailures(board: Board): number {
  return (board.netdev()?.queues ?? []).reduce((n, q) => n + (rxFailures.get(q.qp)?.left ?? 0), 0);
}

/** Inject `spec` into `lab`: 0, or -EINVAL (nothing changed) with the reason in `onError`. */
export function injectFault(lab: Lab, spec: FaultSpec, onError?: (message: string) => void): number {
  const bad = checkFault(lab, spec);
  if (bad !== null) {
    onError?.(bad);
    return -ERRNO.EINVAL;
  }
  const f = lab.pair.faults;
  switch (spec.kind) {
    case 'link':
      if (spec.up) f.linkUp();
      else f.linkDown({ notify: spec.silent !== true });
      break;
    case 'qp-link':
      for (const q of lab.boards[spec.board].netdev()?.queues ?? []) {
        if (spec.up) q.qp.linkUp();
        else q.qp.linkDown();
      }
      break;
    case 'reset': {
      const nd = lab.boards[spec.board].netdev();
      if (nd !== null) {
        nd.ndev.close();
        const rc = nd.ndev.open();
        if (rc < 0) {
          onError?.(`ndo_open failed (${rc}): ntb0 stays down, as 'ip link set ntb0 up' would leave it (the reset is ndo_stop, done, then ndo_open)`);
          return rc;
        }
      }
      break;
    }
    case 'reload': {
      // A peer reset: `modprobe -r ntb_netdev ntb_transport; modprobe ntb_netdev`, then the
      // board's address and `ip link set ntb0 up` again (ntb0 is a new device). rmmod and
      // modprobe return only once ntb_transport's link disable / enable (EPF commands, run by
      // the EP every msecs_to_jiffies(5), 8 ms at HZ 250) are done, so each step waits for the NTB device to be idle.
      const board = lab.boards[spec.board];
      const state: ReloadState = { pending: true, rc: 0, onEnd: null };
      const map = reloads.get(lab) ?? new Map<BoardName, ReloadState>();
      map.set(spec.board, state);
      reloads.set(lab, map);
      board.unloadNetdev();
      board.unloadTransport();
      board.ntb.whenIdle(() => {
        board.loadTransport();
        board.ntb.whenIdle(() => {
          state.rc = Math.min(0, configureNtb0(board));
          state.pending = false;
          state.onEnd?.();
          if (state.rc < 0) onError?.(`bringing ntb0 back failed (${state.rc})`);
        });
      });
      break;
    }
    case 'wc-linger':
      f.setWcLinger(spec.ns, spec.side);
      break;
    case 'drop-doorbells':
      f.dropDoorbells(spec.count);
      break;
    case 'drop-msis':
      f.dropMsis(spec.count);
      break;
    case 'spurious-doorbell':
      f.spuriousDoorbell(spec.to === 'ep' ? { to: 'ep', slot: spec.slot } : { to: 'rc', vector: spec.vector });
      break;
    case 'dma-error':
      f.dmaError(spec.side, spec.channel === undefined ? { count: spec.count } : { count: spec.count, channel: spec.channel });
      break;
    case 'stall-ep':
      f.stallEpHandler(spec.stalled);
      break;
    case 'rx-exhaust':
      armRxExhaust(lab.boards[spec.board], spec.count);
      break;
    case 'storm':
      startStorm(lab, spec);
      break;
  }
  return 0;
}

/** The `fault` command's usage text. */
export const FAULT_USAGE = `Usage: fault link down [silent]|up
       fault qp-link down|up
       fault reset
       fault reload
       fault wc-linger NS [rc|ep|both]
       fault drop-doorbells N
       fault drop-msis N
       fault spurious-doorbell ep SLOT
       fault spurious-doorbell rc VECTOR
       fault dma-error rc|ep [N [CHANNEL]]
       fault rx-exhaust N
       fault stall-ep on|off
       fault storm channels|mtu V1,V2,... [PERIOD_MS]
       fault --in MS FAULT...   (inject FAULT MS milliseconds of virtual time from now)
       fault show
`;

const usage = (msg: string): CommandResult => result('', `fault: ${msg}\nTry 'fault --help' for more information.\n`, 2);

function parseCount(word: string | undefined, what: string): number | string {
  if (word === undefined) return `missing ${what}`;
  const bad = `invalid ${what} '${word}' (allowed: a decimal integer ≥ 0)`;
  if (!/^[0-9]+$/.test(word)) return bad;
  const n = Number(word);
  return Number.isSafeInteger(n) ? n : bad;
}

/** Parse `fault` argv (argv[0] = `fault`) run on `board` into a spec, or a usage message. */
export function parseFaultArgs(argv: readonly string[], board: BoardName): FaultSpec | string {
  const [, verb, a, b, c, ...rest] = argv;
  const extra = (n: number): string | null => {
    const words = [a, b, c, ...rest].slice(n).filter((w) => w !== undefined);
    return words.length > 0 ? `extra operand '${words[0] ?? ''}'` : null;
  };
  const upDown = (w: string | undefined): boolean | string => (w === 'up' ? true : w === 'down' ? false : w === undefined ? 'missing up|down' : `invalid state '${w}' (allowed up, down)`);
  switch (verb) {
    case undefined:
      return 'missing operand';
    case 'link':
    case 'qp-link': {
      const up = upDown(a);
      if (typeof up === 'string') return up;
      const silent = verb === 'link' && !up && b === 'silent';
      const e = extra(silent ? 2 : 1);
      if (e !== null) return e;
      return verb === 'link' ? { kind: 'link', up, ...(silent ? { silent } : {}) } : { kind: 'qp-link', board, up };
    }
    case 'reset':
      return extra(0) ?? { kind: 'reset', board };
    case 'reload':
      return extra(0) ?? { kind: 'reload', board };
    case 'wc-linger': {
      const ns = parseCount(a, 'linger (ns)');
      if (typeof ns === 'string') return ns;
      const side = b ?? 'both';
      if (side !== 'rc' && side !== 'ep' && side !== 'both') return `invalid side '${side}' (allowed rc, ep, both)`;
      return extra(2) ?? { kind: 'wc-linger', ns, side };
    }
    case 'drop-doorbells':
    case 'drop-msis':
    case 'rx-exhaust': {
      const n = parseCount(a, 'count');
      if (typeof n === 'string') return n;
      const e = extra(1);
      if (e !== null) return e;
      return verb === 'rx-exhaust' ? { kind: 'rx-exhaust', board, count: n } : { kind: verb, count: n };
    }
    case 'spurious-doorbell': {
      if (a !== 'ep' && a !== 'rc') return a === undefined ? 'missing target (ep SLOT or rc VECTOR)' : `invalid target '${a}' (allowed ep, rc)`;
      const n = parseCount(b, a === 'ep' ? 'slot' : 'vector');
      if (typeof n === 'string') return n;
      const e = extra(2);
      if (e !== null) return e;
      return a === 'ep' ? { kind: 'spurious-doorbell', to: 'ep', slot: n } : { kind: 'spurious-doorbell', to: 'rc', vector: n };
    }
    case 'dma-error': {
      if (a !== 'rc' && a !== 'ep') return a === undefined ? 'missing side (rc or ep)' : `invalid side '${a}' (allowed rc, ep)`;
      const n = b === undefined ? 1 : parseCount(b, 'count');
      if (typeof n === 'string') return n;
      if (c === undefined) return extra(2) ?? { kind: 'dma-error', side: a, count: n };
      const ch = parseCount(c, 'channel');
      if (typeof ch === 'string') return ch;
      return extra(3) ?? { kind: 'dma-error', side: a, count: n, channel: ch };
    }
    case 'stall-ep': {
      if (a !== 'on' && a !== 'off') return a === undefined ? 'missing on|off' : `invalid state '${a}' (allowed on, off)`;
      return extra(1) ?? { kind: 'stall-ep', stalled: a === 'on' };
    }
    case 'storm': {
      if (a !== 'channels' && a !== 'mtu') return a === undefined ? 'missing what (channels or mtu)' : `invalid storm '${a}' (allowed channels, mtu)`;
      if (b === undefined) return 'missing values (V1,V2,...)';
      const values: number[] = [];
      for (const w of b.split(',')) {
        const n = parseCount(w, 'value');
        if (typeof n === 'string') return n;
        values.push(n);
      }
      const period = c === undefined ? 25 : parseCount(c, 'period (ms)');
      if (typeof period === 'string') return period;
      return extra(3) ?? { kind: 'storm', board, what: a, values, periodMs: period };
    }
    default:
      return `unknown fault '${verb}'`;
  }
}

/** What `fault show` prints: link state, carrier and fault counters of both boards. */
export function faultStatus(lab: Lab): string {
  const fab = lab.pair.fabric;
  const silent = lab.pair.faults.linkLoss() === 'silent' ? ' (silent: neither device was told)' : '';
  let out = `pcie link: ${fab.linkUp ? 'up' : 'down'}${silent}\n`;
  for (const dir of ['rc-to-ep', 'ep-to-rc'] as const) {
    const s = fab.stats(dir);
    out += `${dir}: dropped_link_down ${s.droppedLinkDown} dropped_fault ${s.droppedFault}\n`;
  }
  for (const name of ['rc', 'ep'] as const) {
    const b = lab.boards[name];
    const nd = b.netdev();
    const qps = nd === null ? '-' : nd.queues.map((q) => `qp${q.qp.qpNum}:${q.qp.linkQuery() ? 'up' : 'down'}`).join(' ');
    const dma = lab.pair.dma[name].stats;
    out += `${name}: carrier ${nd?.ndev.netifCarrierOk() === true ? 'on' : 'off'} ${qps} dma_failed ${dma.failed} rx_alloc_failures_pending ${pendingRxFailures(b)}\n`;
    const st = stormState(lab, name);
    if (st !== undefined) out += `${name}: ${st.what} storm: ${st.applied + st.failed}/${st.total} run, ${st.failed} failed${st.lastError === '' ? '' : ` (last: ${st.lastError})`}\n`;
    const rl = reloadState(lab, name);
    if (rl !== undefined) out += `${name}: reload: ${rl.pending ? `in progress (${b.ntb.sleepingOps} NTB operations in flight)` : rl.rc === 0 ? 'done' : `failed (${rl.rc})`}\n`;
  }
  for (const f of scheduledFaults(lab)) out += `scheduled at ${(f.at / 1e9).toFixed(3)} s: fault ${f.line}: ${f.outcome}\n`;
  return out;
}

/** The `fault` lab command (see FAULT_USAGE). */
export const fault: Command = (argv, env) => {
  if (argv[1] === '--help' || argv[1] === '-h') return result(FAULT_USAGE);
  if (argv[1] === 'show') return argv.length > 2 ? usage(`extra operand '${argv[2] ?? ''}'`) : result(faultStatus(env.lab));
  let delayMs = 0;
  let words = argv;
  if (argv[1] === '--in') {
    const d = parseCount(argv[2], 'delay (ms)');
    if (typeof d === 'string') return usage(d);
    if (d > FAULT_MAX_DELAY_MS) return usage(`invalid delay (ms) '${argv[2] ?? ''}' (allowed 0..${FAULT_MAX_DELAY_MS})`);
    delayMs = d;
    words = [argv[0] ?? 'fault', ...argv.slice(3)];
  }
  if (words[1] === 'show') return usage("'show' cannot be scheduled");
  const spec = parseFaultArgs(words, env.board.name);
  if (typeof spec === 'string') return usage(spec);
  if (delayMs > 0) {
    const bad = checkFault(env.lab, spec);
    if (bad !== null) return result('', `fault: ${spec.kind}: ${bad}\n`, 1);
    scheduleFault(env.lab, spec, words.slice(1).join(' '), delayMs);
    return result('');
  }
  let message = '';
  let rc = injectFault(env.lab, spec, (m) => (message = m));
  if (rc === 0 && spec.kind === 'reload') {
    rc = awaitReload(env.lab, spec.board);
    if (rc === -ERRNO.ETIMEDOUT) message = `still in progress after ${RELOAD_LIMIT_NS / 1e9} s`;
  }
  return rc === 0 ? result('') : result('', `fault: ${spec.kind}: ${message}\n`, 1);
};

/** Longest `fault --in` delay (ms): one minute of virtual time. */
export const FAULT_MAX_DELAY_MS = 60_000;

/** A fault scheduled with `fault --in`: what, when, and what came of it. */
export interface ScheduledFault {
  /** The command line after `--in MS`. */
  readonly line: string;
  /** Virtual time it is due (ns). */
  readonly at: number;
  /** 'pending', 'done', or the reason it was rejected when it came due. */
  outcome: string;
}

const scheduled = new WeakMap<Lab, ScheduledFault[]>();

/** The faults scheduled in `lab` with `fault --in`, oldest first. */
export function scheduledFaults(lab: Lab): readonly ScheduledFault[] {
  return scheduled.get(lab) ?? [];
}

/** Inject `spec` `delayMs` from now (checked again then: the lab may have changed meanwhile). */
function scheduleFault(lab: Lab, spec: FaultSpec, line: string, delayMs: number): void {
  const entry: ScheduledFault = { line, at: lab.sim.now + delayMs * 1_000_000, outcome: 'pending' };
  const list = scheduled.get(lab) ?? [];
  list.push(entry);
  scheduled.set(lab, list);
  lab.sim.at(entry.at, () => {
    let why = '';
    entry.outcome = injectFault(lab, spec, (m) => (why = m)) === 0 ? 'done' : `rejected: ${why}`;
  });
}
