/**
 * `ntb-bench sweep`: a grid over any lab parameter (queues, MWs, doorbell mode, polled or
 * interrupt-driven EP doorbells, IRQ
 * affinity, transport_mtu, use_dma (and the multi-channel DMA series' use_tx_dma, use_rx_dma,
 * num_tx_dma_chan, num_rx_dma_chan), DMA channels, tx_memcpy_offload, HZ, wake timer,
 * direction, protocol, driver variant, the iperf3 server's CPU, the receiver's RPS map and RFS), profile (built-in or a file) and any
 * numeric profile parameter (`GROUP.FIELD`, e.g. `memory.readUncachedMBps=60,78`), run on the worker pool; `--shard i/n` runs every n-th job so a batch engine
 * (CI matrix, Kubernetes Jobs, Slurm arrays) can split it, and `merge` joins the shards.
 */
import { readFileSync } from 'node:fs';
import { extendProfile, getProfile, parseProfile } from '@ntbsim/kernel';
import { KERNEL_PARAM_NAMES, transportParams } from '@ntbsim/ntb-transport';
import { ACK_BOUND_COLOR, esc, PAGE_HEAD, scrollBox, svgOpen } from './report.js';
import { profileDigest, ranOnOneQueue, runPool, runSeed, sdCell, TERM_WIDTH, wrapText, type Job, type JobOutcome } from './reproduce.js';
import { summarize, type RunConfig } from './scenarios.js';
import { bootScenario, RunFailure } from './run.js';
import type { NetdevParams } from '../lab/params.js';

/** The axes a sweep can vary, with the values each accepts. */
export const AXES = {
  queues: 'integer 1..8',
  mws: 'integer 1..4',
  doorbell: 'legacy | per-bit',
  ep_doorbell: 'poll | irq',
  dw_msi: 'redirect | chained | direct',
  affinity: 'spread | default',
  transport_mtu: 'integer bytes',
  use_dma: '0 | 1',
  use_tx_dma: '0 | 1',
  use_rx_dma: '0 | 1',
  num_tx_dma_chan: 'integer 1..8',
  num_rx_dma_chan: 'integer 1..8',
  tx_memcpy_offload: '0 | 1',
  hz: '100 | 250 | 300 | 1000',
  wake_timer: 'jiffy | hrtimer',
  hrtimer_mode: 'soft | hard',
  direction: 'ep-to-rc | rc-to-ep',
  protocol: 'tcp | udp',
  variant: 'mq | baseline',
  profile: 'rcar-s4 | x86-server | a profile file (FILE.json, as ntb-bench profile writes it)',
  dma_channels: 'integer 0..32',
  server_cpu: 'any | integer 0..31',
  congestion: 'cubic | reno',
  txqueuelen: 'integer 1..4294967295 (packets)',
  qdisc: 'pfifo_fast | fq_codel (net.core.default_qdisc on both boards)',
  mtu: 'integer 68..65535 (bytes; ntb0 refuses one above max_size − 14)',
  rps: 'hex CPU mask 0..ffffffff (rps_cpus of ntb0 RX queues on the receiving board; 0 = off)',
  rfs: '0 | 1 (RFS on the receiving board: rps_sock_flow_entries 32768, rps_flow_cnt 2048)',
} as const;

/** An axis name. */
export type AxisName = keyof typeof AXES;

/** A profile parameter axis, `GROUP.FIELD` of the platform profile (`memory.readUncachedMBps`, `pcie.lanes`, …). */
export type ProfileAxis = `${string}.${string}`;

/** A grid: axis → values (as typed on the command line); profile parameter axes take numbers. */
export type Grid = Partial<Record<AxisName, readonly string[]>> & Readonly<Record<ProfileAxis, readonly string[]>>;

const PROFILE_AXIS = /^([a-z][A-Za-z]*)\.([a-z][A-Za-z0-9]*)$/;

/** Parse `axis=v1,v2` specs; throws naming the bad axis or value and what is allowed. */
export function parseGrid(specs: readonly string[]): Grid {
  const grid: Record<string, string[]> = {};
  for (const spec of specs) {
    const eq = spec.indexOf('=');
    const axis = spec.slice(0, eq);
    const profileAxis = eq >= 0 && PROFILE_AXIS.test(axis);
    if (eq < 0 || (!(axis in AXES) && !profileAxis)) throw new Error(`sweep: unknown axis '${eq < 0 ? spec : axis}' (known: ${Object.keys(AXES).join(', ')}, or a profile parameter GROUP.FIELD such as memory.readUncachedMBps)`);
    const values = spec.slice(eq + 1).split(',').filter((v) => v !== '');
    if (values.length === 0) throw new Error(`sweep: axis '${axis}' has no values (allowed ${profileAxis ? 'numbers' : AXES[axis as AxisName]})`);
    if (axis in grid) throw new Error(`sweep: axis '${axis}' given twice (give its values once, comma-separated: ${axis}=${[...(grid[axis] ?? []), ...values].join(',')})`);
    const dup = values.find((v, i) => values.indexOf(v) !== i);
    if (dup !== undefined) throw new Error(`sweep: axis '${axis}' lists ${dup} twice (each value once: a point's runs would be pooled with its twin's)`);
    for (const v of values) {
      if (!profileAxis) checkValue(axis as AxisName, v);
      else if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(v)) throw new Error(`sweep: profile parameter ${axis}: '${v}' is not a number`);
    }
    grid[axis] = values;
  }
  return grid;
}

function checkValue(axis: AxisName, v: string): void {
  const int = /^\d+$/.test(v) ? Number(v) : NaN;
  const ok = (() => {
    switch (axis) {
      case 'queues':
        return int >= 1 && int <= 8;
      case 'mws':
        return int >= 1 && int <= 4;
      case 'transport_mtu':
        return int >= 13;
      case 'rfs':
      case 'use_dma':
      case 'use_tx_dma':
      case 'use_rx_dma':
      case 'tx_memcpy_offload':
        return v === '0' || v === '1';
      case 'num_tx_dma_chan':
      case 'num_rx_dma_chan':
        return int >= 1 && int <= 8;
      case 'hz':
        return [100, 250, 300, 1000].includes(int);
      case 'dma_channels':
        return int >= 0 && int <= 32;
      case 'txqueuelen':
        return int >= 1 && int <= 0xffffffff;
      case 'mtu':
        return int >= 68 && int <= 65535;
      case 'server_cpu':
        return v === 'any' || int <= 31;
      case 'profile':
        return v === 'rcar-s4' || v === 'x86-server' || v.endsWith('.json');
      case 'affinity':
      case 'direction':
      case 'doorbell':
      case 'ep_doorbell':
      case 'dw_msi':
      case 'protocol':
      case 'variant':
      case 'wake_timer':
      case 'hrtimer_mode':
      case 'congestion':
        return AXES[axis].split(' | ').includes(v);
      case 'qdisc':
        return v === 'pfifo_fast' || v === 'fq_codel';
      case 'rps':
        return /^[0-9a-f]{1,8}$/i.test(v);
    }
  })();
  if (!ok) throw new Error(`sweep: ${axis}=${v}: allowed ${AXES[axis]}`);
}

/** One point of the grid: its configuration and the profile patch it needs. */
export interface SweepPoint {
  /** `axis=value,…` id. */
  readonly id: string;
  /** The axis values. */
  readonly values: Readonly<Record<string, string>>;
  /** The lab configuration. */
  readonly config: RunConfig;
  /** Profile of this point (the `profile` axis: a built-in name or a `.json` file), else the sweep's. */
  readonly profileName?: string;
  /** Profile overrides (HZ, DMA channels). */
  readonly profilePatch?: Readonly<Record<string, unknown>>;
}

/**
 * The configuration under a sweep's axes, from the global options (`--param`, `--doorbell`,
 * `--mws`): every point starts from it and an axis that names the same setting overrides it.
 */
export interface SweepBase {
  /** ntb_transport parameters (`--param ntb_transport.*`). */
  readonly transport?: Readonly<Record<string, number | boolean>>;
  /** ntb_netdev options (`--param ntb_netdev.*`). */
  readonly netdev?: NetdevParams;
  /** Doorbell code on both boards (`--doorbell`). */
  readonly doorbell?: 'legacy' | 'per-bit';
  /** Memory windows (`--mws`). */
  readonly mws?: number;
  /** Host → EP doorbells polled or interrupt-driven (`--ep-doorbell`). */
  readonly epDoorbell?: 'poll' | 'irq';
  /** The RC's DWC MSI mode (`--dw-msi`). */
  readonly dwMsi?: 'redirect' | 'chained' | 'direct';
  /** Sysctls both boards set at boot (`--sysctl NAME=VALUE`); the `qdisc` axis overrides net.core.default_qdisc. */
  readonly sysctl?: Readonly<Record<string, string>>;
}

/** A base configuration as `name=value` words (empty when there is none). */
export function describeBase(base: SweepBase | undefined): string[] {
  if (base === undefined) return [];
  const names: Readonly<Record<string, string>> = KERNEL_PARAM_NAMES;
  const netdevNames: Readonly<Record<string, string>> = { queues: 'ntb_num_queues', variant: 'variant', wakeTimer: 'wake_timer', hrtimerMode: 'hrtimer_mode' };
  const val = (v: unknown): string => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  return [
    ...Object.entries(base.transport ?? {}).map(([k, v]) => `ntb_transport.${names[k] ?? k}=${val(v)}`),
    ...Object.entries(base.netdev ?? {}).map(([k, v]) => `ntb_netdev.${netdevNames[k] ?? k}=${val(v)}`),
    ...(base.doorbell === undefined ? [] : [`doorbell=${base.doorbell}`]),
    ...(base.mws === undefined ? [] : [`mws=${base.mws}`]),
    ...(base.epDoorbell === undefined ? [] : [`ep_doorbell=${base.epDoorbell}`]),
    ...(base.dwMsi === undefined ? [] : [`dw_msi=${base.dwMsi}`]),
    ...Object.entries(base.sysctl ?? {}).map(([k, v]) => `sysctl ${k}=${v}`),
  ];
}

/** Expand a grid to its points (cartesian product, axes in the order given), each on `base` with its axis values over it. */
export function expandGrid(grid: Grid, base: SweepBase = {}): SweepPoint[] {
  let combos: Record<string, string>[] = [{}];
  for (const [axis, values] of Object.entries(grid)) combos = combos.flatMap((c) => (values ?? []).map((v) => ({ ...c, [axis]: v })));
  return combos.map((v) => {
    const queues = v.queues === undefined ? (base.netdev?.queues ?? 1) : Number(v.queues);
    const transport: Record<string, number | boolean> = { ...base.transport };
    if (v.transport_mtu !== undefined) transport.transportMtu = Number(v.transport_mtu);
    if (v.use_dma !== undefined) transport.useDma = v.use_dma === '1';
    if (v.use_tx_dma !== undefined) transport.useTxDma = v.use_tx_dma === '1';
    if (v.use_rx_dma !== undefined) transport.useRxDma = v.use_rx_dma === '1';
    if (v.num_tx_dma_chan !== undefined) transport.numTxDmaChan = Number(v.num_tx_dma_chan);
    if (v.num_rx_dma_chan !== undefined) transport.numRxDmaChan = Number(v.num_rx_dma_chan);
    if (v.tx_memcpy_offload !== undefined) transport.txMemcpyOffload = v.tx_memcpy_offload === '1';
    const doorbell = (v.doorbell ?? base.doorbell ?? 'per-bit') as 'legacy' | 'per-bit';
    const mws = v.mws === undefined ? base.mws : Number(v.mws);
    const wakeTimer = (v.wake_timer ?? base.netdev?.wakeTimer) as 'jiffy' | 'hrtimer' | undefined;
    const hrtimerMode = (v.hrtimer_mode ?? base.netdev?.hrtimerMode) as 'soft' | 'hard' | undefined;
    const epDoorbell = (v.ep_doorbell ?? base.epDoorbell) as 'poll' | 'irq' | undefined;
    const dwMsi = (v.dw_msi ?? base.dwMsi) as 'redirect' | 'chained' | 'direct' | undefined;
    const config: RunConfig = {
      id: Object.entries(v).map(([k, x]) => `${k}=${x}`).join(',') || 'default',
      protocol: (v.protocol ?? 'tcp') as 'tcp' | 'udp',
      variant: (v.variant ?? base.netdev?.variant ?? 'mq') as 'mq' | 'baseline',
      queues,
      doorbell,
      spreadIrqs: (v.affinity ?? 'spread') === 'spread',
      transport,
      ...(mws === undefined ? {} : { mwCount: mws }),
      ...(wakeTimer === undefined ? {} : { wakeTimer }),
      ...(hrtimerMode === undefined ? {} : { hrtimerMode }),
      ...(epDoorbell === undefined ? {} : { epDoorbell }),
      ...(dwMsi === undefined ? {} : { dwMsi }),
      ...(v.direction === undefined ? {} : { direction: v.direction as 'ep-to-rc' | 'rc-to-ep' }),
      ...(v.server_cpu === undefined || v.server_cpu === 'any' ? {} : { serverCpu: Number(v.server_cpu) }),
      ...(v.congestion === undefined ? {} : { congestion: v.congestion as 'cubic' | 'reno' }),
      ...(v.txqueuelen === undefined ? {} : { txqueuelen: Number(v.txqueuelen) }),
      ...(v.qdisc === undefined && base.sysctl === undefined ? {} : { sysctl: { ...base.sysctl, ...(v.qdisc === undefined ? {} : { 'net.core.default_qdisc': v.qdisc }) } }),
      ...(v.mtu === undefined ? {} : { mtu: Number(v.mtu) }),
      ...(v.rps === undefined ? {} : { rpsCpus: parseInt(v.rps, 16) }),
      ...(v.rfs === undefined ? {} : { rfs: v.rfs === '1' }),
    };
    const patch: Record<string, Record<string, { value: number }>> = {};
    const set = (group: string, field: string, value: number): void => {
      patch[group] = { ...patch[group], [field]: { value } };
    };
    if (v.hz !== undefined) set('kernel', 'hz', Number(v.hz));
    if (v.dma_channels !== undefined) set('dma', 'channels', Number(v.dma_channels));
    for (const [axis, value] of Object.entries(v)) {
      const m = PROFILE_AXIS.exec(axis);
      if (m !== null) set(m[1] as string, m[2] as string, Number(value));
    }
    return { id: config.id, values: v, config, ...(v.profile === undefined ? {} : { profileName: v.profile }), ...(Object.keys(patch).length === 0 ? {} : { profilePatch: patch }) };
  });
}

/** One run of a sweep point that gave a result. */
export interface SweepRun {
  /** Run index. */
  readonly run: number;
  /** Its seed. */
  readonly seed: number;
  /** Receiver [SUM] (Mb/s). */
  readonly mbps: number;
  /** The limiting stage. */
  readonly bottleneck: string;
  /** Busiest CPU's utilisation (%). */
  readonly busy_pct: number;
  /** Each TX queue's share of the bytes sent (4 decimals), on a point of several queues; absent in older files. */
  readonly tx_queue_share?: number[];
  /** Whether one TX queue carried ≥ 95 % of the bytes (`ranOnOneQueue`: its flows hashed onto one queue), on a point of several queues. */
  readonly one_queue?: boolean;
  /** When the run fell short with its ACKs queued on the way back: the receiving board's TX queue, its mean qdisc length and the RTT (`Bottleneck.returnPath`); absent otherwise and in older files. */
  readonly return_path?: string;
}

/** One run of a sweep point that failed: what failed and, when traffic stalled, why (`diagnoseTxStall`). */
export interface SweepFailedRun {
  /** Run index. */
  readonly run: number;
  /** Its seed. */
  readonly seed: number;
  /** What failed (the iperf3 error, or the exception's message). */
  readonly error: string;
  /** Why traffic stopped, when the model shows it. */
  readonly stall?: string;
}

/** A run of a sweep point, with a result or failed. */
export type SweepRunEntry = SweepRun | SweepFailedRun;

/** Whether `r` failed. */
export function runFailed(r: SweepRunEntry): r is SweepFailedRun {
  return 'error' in r;
}

/** What a failed run shows in a table cell: `stalled` when the model shows a stall, else its error. */
export function failureCell(r: SweepFailedRun): string {
  return r.stall === undefined ? r.error : 'stalled';
}

/** A sweep's results file (also the shape of a shard and of a merge). */
export interface SweepResults {
  readonly kind: 'ntbsim-sweep';
  readonly profile: string;
  /** SHA-256 (first 16 hex digits) of the sweep's profile as resolved: tells two profile files of one name apart. */
  readonly profile_digest: string;
  /** The base seed (`--seed`); run r of every point has seed runSeed(seed, r). */
  readonly seed: number;
  readonly duration_s: number;
  readonly runs: number;
  readonly grid: Grid;
  /** The configuration under the axes (global options), when there is one. */
  readonly base?: SweepBase;
  /** Shards included, as `i/n`. */
  readonly shards: string[];
  /** Set by `merge --partial` when shards are missing. */
  readonly partial?: true;
  /** The shards a partial merge lacks, as `i/n`. */
  readonly missing_shards?: string[];
  /** The points run, in grid order; a failed run is kept with its `error`. */
  readonly points: { id: string; values: Record<string, string>; runs: SweepRunEntry[] }[];
}

/** Parse `--shard i/n` (1-based). */
export function parseShard(spec: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index < 1 || index > count) throw new Error(`sweep: --shard '${spec}': allowed i/n with 1 ≤ i ≤ n`);
  return { index, count };
}

/** Run a sweep (or one shard of it). */
export async function sweep(options: {
  readonly grid: Grid;
  readonly runs: number;
  readonly durationS: number;
  readonly profileName: string;
  /** The profile as loaded from a file (`--profile FILE`): sent to the workers; a `profile` axis value replaces it. */
  readonly profileJson?: unknown;
  readonly payload: 'functional' | 'timing';
  /** The configuration under the axes. */
  readonly base?: SweepBase;
  readonly shard?: { readonly index: number; readonly count: number };
  readonly workers: number;
  readonly baseSeed?: number;
  readonly onProgress?: (done: number, total: number) => void;
}): Promise<SweepResults> {
  const points = expandGrid(options.grid, options.base);
  // A `profile` axis file is read and checked once, before anything runs (ProfileError names
  // the file, the field path, the value and what is allowed), as is each profile parameter's
  // value (an unknown GROUP.FIELD included).
  const files = new Map<string, unknown>();
  for (const p of points) {
    const name = p.profileName;
    if (name === undefined || !name.endsWith('.json') || files.has(name)) continue;
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(name, 'utf8'));
    } catch (e) {
      throw new Error(`sweep: profile=${name}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : 'cannot read the file'}`, { cause: e });
    }
    parseProfile(json, name);
    files.set(name, json);
  }
  const resolve = (p: SweepPoint): { readonly profileName: string; readonly profileJson?: unknown } => {
    if (p.profileName === undefined) return { profileName: options.profileName, ...(options.profileJson === undefined ? {} : { profileJson: options.profileJson }) };
    const json = files.get(p.profileName);
    return json === undefined ? { profileName: p.profileName } : { profileName: p.profileName, profileJson: json };
  };
  // So is each point's configuration: its ntb_transport parameters (the module's own checks)
  // and a server CPU the point's profile has.
  for (const p of points) {
    const r = resolve(p);
    const base = r.profileJson !== undefined ? parseProfile(r.profileJson, r.profileName) : getProfile(r.profileName);
    const profile = p.profilePatch === undefined ? base : extendProfile(base, p.profilePatch);
    const cpus = profile.cpu.count.value;
    const cpu = p.config.serverCpu;
    if (cpu !== undefined && cpu >= cpus) throw new Error(`sweep: server_cpu=${cpu}: allowed any or a CPU of the profile, 0..${cpus - 1} (${p.id}: ${profile.name} has ${cpus} CPUs)`);
    try {
      transportParams(p.config.transport);
      // The boards must boot with it (a profile the drivers refuse, say too few MSI vectors for
      // the vNTB function); a run's own failure (an MTU ntb_netdev refuses) is the run's to report.
      bootScenario(p.config, { seed: 1, durationS: options.durationS, payload: options.payload, profile });
    } catch (e) {
      if (e instanceof RunFailure) continue;
      throw new Error(`sweep: ${p.id}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
  }
  const all: Job[] = [];
  for (const p of points) {
    for (let r = 0; r < options.runs; r++) {
      const profile = resolve(p);
      all.push({ config: p.config, run: r, options: { seed: runSeed(options.baseSeed ?? 1, r), durationS: options.durationS, payload: options.payload, ...profile, ...(p.profilePatch === undefined ? {} : { profilePatch: p.profilePatch }) } });
    }
  }
  const shard = options.shard ?? { index: 1, count: 1 };
  const jobs = all.filter((_, i) => i % shard.count === shard.index - 1);
  const results: JobOutcome[] = new Array<JobOutcome>(jobs.length);
  let done = 0;
  await runPool(jobs, options.workers, (i, o) => {
    results[i] = o;
    options.onProgress?.(++done, jobs.length);
  });
  const byId = new Map<string, SweepRunEntry[]>();
  jobs.forEach((j, i) => {
    const o = results[i] as JobOutcome;
    const list = byId.get(j.config.id) ?? [];
    const shares = o.ok ? o.result.txQueueShare : [];
    const queueShare = shares.length > 1 ? { tx_queue_share: shares.map((x) => Math.round(x * 1e4) / 1e4), one_queue: ranOnOneQueue(shares) } : {};
    const back = o.ok ? o.result.bottleneck.returnPath : '';
    if (o.ok) list.push({ run: j.run, seed: j.options.seed, mbps: Math.round(o.result.mbps * 10) / 10, bottleneck: o.result.bottleneck.stage, busy_pct: Math.round(o.result.bottleneck.busyPct), ...queueShare, ...(back === '' ? {} : { return_path: back }) });
    else list.push({ run: j.run, seed: j.options.seed, error: o.error, ...(o.stall === null ? {} : { stall: o.stall }) });
    byId.set(j.config.id, list);
  });
  return {
    kind: 'ntbsim-sweep',
    profile: options.profileName,
    profile_digest: profileDigest(options.profileJson === undefined ? getProfile(options.profileName) : parseProfile(options.profileJson, options.profileName)),
    seed: options.baseSeed ?? 1,
    duration_s: options.durationS,
    runs: options.runs,
    grid: options.grid,
    ...(describeBase(options.base).length === 0 ? {} : { base: options.base }),
    shards: [`${shard.index}/${shard.count}`],
    points: points.filter((p) => byId.has(p.id)).map((p) => ({ id: p.id, values: { ...p.values }, runs: byId.get(p.id) ?? [] })),
  };
}


/** The settings every shard of one sweep shares, with how a mismatch is named. */
const SAME_SWEEP: readonly [string, (s: SweepResults) => unknown][] = [
  ['the base seed (--seed)', (s) => s.seed],
  ['the grid', (s) => s.grid],
  ['the profile', (s) => `${s.profile} (digest ${s.profile_digest})`],
  ['the base configuration (--param, --doorbell, --mws, --ep-doorbell, --sysctl)', (s) => describeBase(s.base).join(' ') || 'none'],
  ['--runs', (s) => s.runs],
  ['--duration', (s) => s.duration_s],
];

/**
 * Merge the shards of one sweep. Throws, naming the files (`names`, else the shards), when two
 * are the same shard, split the sweep differently, or differ in seed, grid, profile, base
 * configuration, runs or duration; and when shards are missing, unless `partial` (then the
 * result says `partial` and lists `missing_shards`).
 */
export function mergeSweeps(parts: readonly SweepResults[], options: { readonly names?: readonly string[]; readonly partial?: boolean } = {}): SweepResults {
  const [first] = parts;
  if (first === undefined) throw new Error('merge: no input files');
  const name = (i: number): string => options.names?.[i] ?? `shard ${parts[i]?.shards.join(',') ?? ''}`;
  parts.forEach((p, i) => {
    for (const [what, get] of SAME_SWEEP) {
      const a = JSON.stringify(get(p));
      const b = JSON.stringify(get(first));
      if (a !== b) throw new Error(`merge: ${name(i)} and ${name(0)} are from different sweeps: ${what} differs (${a} vs ${b})`);
    }
  });
  const seen = new Map<string, number>();
  let split: { n: number; from: number } | null = null;
  for (const [i, p] of parts.entries()) {
    for (const spec of p.shards) {
      const { count } = parseShard(spec);
      if (split !== null && count !== split.n) throw new Error(`merge: ${name(i)} holds shard ${spec} but ${name(split.from)} a shard of ${split.n}: the shards of one sweep split it the same way (one n in --shard i/n)`);
      split ??= { n: count, from: i };
      const other = seen.get(spec);
      if (other !== undefined) throw new Error(`merge: shard ${spec} is given twice (${name(other)} and ${name(i)})`);
      seen.set(spec, i);
    }
  }
  const n = split?.n ?? 1;
  const byIndex = (a: string, b: string): number => parseShard(a).index - parseShard(b).index;
  const missing = Array.from({ length: n }, (_, k) => `${k + 1}/${n}`).filter((spec) => !seen.has(spec));
  if (missing.length > 0 && options.partial !== true) {
    throw new Error(`merge: incomplete: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing (given: ${[...seen.keys()].sort(byIndex).join(', ')}); merge them all, or pass --partial to write a partial sweep`);
  }
  const points = new Map<string, { id: string; values: Record<string, string>; runs: SweepRunEntry[] }>();
  for (const p of parts) {
    for (const pt of p.points) {
      const cur = points.get(pt.id) ?? { id: pt.id, values: pt.values, runs: [] };
      for (const r of pt.runs) if (!cur.runs.some((x) => x.run === r.run)) cur.runs.push(r);
      cur.runs.sort((a, b) => a.run - b.run);
      points.set(pt.id, cur);
    }
  }
  const order = expandGrid(first.grid).map((p) => p.id);
  const { partial: _p, missing_shards: _m, ...rest } = first;
  return {
    ...rest,
    shards: [...seen.keys()].sort(byIndex),
    ...(missing.length === 0 ? {} : { partial: true as const, missing_shards: missing }),
    points: order.filter((id) => points.has(id)).map((id) => points.get(id) as SweepResults['points'][number]),
  };
}

/** A point's runs for the chart and the tables: the runs with a result, the failed ones, and whether every failure is a stall. */
function pointRuns(p: SweepResults['points'][number]): { readonly ok: SweepRun[]; readonly failed: SweepFailedRun[] } {
  return { ok: p.runs.filter((r): r is SweepRun => !runFailed(r)), failed: p.runs.filter(runFailed) };
}

/** What a chart's failure marker says: `stalled` (every failure a stall) or `failed`, with `k/n` when some runs gave a result. */
function failureLabel(ok: number, failed: readonly SweepFailedRun[]): string {
  const what = failed.every((r) => r.stall !== undefined) ? 'stalled' : 'failed';
  return ok === 0 ? what : `${failed.length}/${ok + failed.length} ${what}`;
}

const SERIES_COLORS = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];

/**
 * The sweep's chart (SVG). With a `queues` axis: throughput against queues, one line per
 * configuration of the other axes; without one: a column per point. Each point: its mean (a
 * large dot), the min–max spread of its runs (a whisker), every run (small dots, hollow when its
 * flows all used one TX queue), and a ✕ on the axis labelled `stalled` (or `failed`) when runs
 * failed; a line does not pass through a point with no result.
 */
export function sweepSvg(res: SweepResults): string {
  const byQueues = res.grid.queues !== undefined;
  const w = 680;
  const left = 56;
  const right = 20;
  const top = 30;
  const plotH = 240;
  const axisY = top + plotH;
  const plotW = w - left - right;
  const pts = res.points.filter((p) => p.runs.length > 0).map((p) => ({ p, ...pointRuns(p) }));
  const seriesOf = (p: SweepResults['points'][number]): string => (byQueues ? Object.entries(p.values).filter(([k]) => k !== 'queues').map(([k, v]) => `${k}=${v}`).join(',') || 'default' : '');
  const series = [...new Set(pts.map(({ p }) => seriesOf(p)))];
  const maxQ = Math.max(1, ...pts.map(({ p }) => Number(p.values.queues ?? 1)));
  const maxY = Math.max(1, ...pts.flatMap(({ ok }) => ok.map((r) => r.mbps))) * 1.1;
  const y = (v: number): number => axisY - (plotH * v) / maxY;
  // Categories (no queues axis): a column per point, labelled with its id, one axis per line,
  // or turned when the columns are too narrow for that.
  const slot = plotW / Math.max(1, pts.length);
  const labelParts = pts.map(({ p }) => p.id.split(','));
  const longest = Math.max(1, ...labelParts.flat().map((l) => l.length));
  const turned = !byQueues && slot < longest * 6 + 6;
  const labelH = byQueues ? 16 : turned ? Math.min(160, Math.max(...pts.map(({ p }) => p.id.length), 1) * 4.6 + 12) : 14 * Math.max(1, ...labelParts.map((l) => l.length)) + 4;
  const xTitleY = axisY + labelH + 18;
  const legendTop = xTitleY + 10;
  const h = legendTop + (byQueues && series.length > 1 ? series.length * 15 : 0) + 8;
  const seriesDx = (si: number): number => (series.length > 1 ? (si - (series.length - 1) / 2) * Math.min(8, 40 / series.length) : 0);
  const xOf = (i: number, q: number, si: number): number => (byQueues ? left + 14 + ((plotW - 28) * (q - 1)) / Math.max(1, maxQ - 1) + seriesDx(si) : left + slot * (i + 0.5));
  const parts: string[] = [`<line x1="${left}" y1="${axisY}" x2="${w - right}" y2="${axisY}" stroke="#888"/><line x1="${left}" y1="${top - 10}" x2="${left}" y2="${axisY}" stroke="#888"/>`];
  if (byQueues) {
    for (let q = 1; q <= maxQ; q++) parts.push(`<text class="xtick" x="${xOf(0, q, (series.length - 1) / 2)}" y="${axisY + 14}" font-size="11" fill="#333" text-anchor="middle">${q}</text>`);
  } else {
    pts.forEach((_, i) => {
      const cx = xOf(i, 1, 0);
      const lines = labelParts[i] ?? [];
      parts.push(
        turned
          ? `<text class="xtick" x="${cx}" y="${axisY + 12}" font-size="10" fill="#333" text-anchor="end" transform="rotate(-35 ${cx} ${axisY + 12})">${esc(lines.join(','))}</text>`
          : `<text class="xtick" x="${cx}" y="${axisY + 14}" font-size="10" fill="#333" text-anchor="middle">${lines.map((l, k) => `<tspan x="${cx}" dy="${k === 0 ? 0 : 13}">${esc(l)}</tspan>`).join('')}</text>`,
      );
    });
  }
  // Mb/s ticks at a 1-2-5 step giving at most six of them.
  const rough = maxY / 6;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= rough) ?? 10 * mag;
  for (let v = 0; v <= maxY; v += step) {
    parts.push(`<line x1="${left}" y1="${y(v)}" x2="${w - right}" y2="${y(v)}" stroke="#eee"/><line class="ytick" x1="${left - 4}" y1="${y(v)}" x2="${left}" y2="${y(v)}" stroke="#888"/><text x="${left - 6}" y="${y(v) + 4}" font-size="11" fill="#333" text-anchor="end">${Number(v.toPrecision(6))}</text>`);
  }
  const lines = new Map<string, { x: number; y: number }[][]>();
  pts.forEach(({ p, ok, failed }, i) => {
    const name = seriesOf(p);
    const si = series.indexOf(name);
    const c = byQueues ? (SERIES_COLORS[si % SERIES_COLORS.length] ?? '#000') : SERIES_COLORS[0] ?? '#000';
    const q = Number(p.values.queues ?? 1);
    const cx = xOf(i, q, si);
    const segs = lines.get(name) ?? [[]];
    lines.set(name, segs);
    if (failed.length > 0) {
      const label = failureLabel(ok.length, failed);
      parts.push(`<g class="failure"><path d="M${cx - 5} ${axisY - 5}l10 10m0 -10l-10 10" stroke="#c00" stroke-width="2.5"/><text x="${cx}" y="${axisY - 9}" font-size="10" fill="#c00" text-anchor="middle">${label}</text><title>${esc(p.id)}: ${label}</title></g>`);
    }
    if (ok.length === 0) {
      segs.push([]);
      return;
    }
    const mbps = ok.map((r) => r.mbps);
    const mean = mbps.reduce((a, b) => a + b, 0) / mbps.length;
    const lo = Math.min(...mbps);
    const hi = Math.max(...mbps);
    if (ok.length > 1) parts.push(`<path class="whisker" d="M${cx} ${y(lo)}V${y(hi)}M${cx - 4} ${y(lo)}h8M${cx - 4} ${y(hi)}h8" stroke="${c}" stroke-width="1.3" fill="none"><title>${esc(p.id)}: min ${lo.toFixed(1)}, max ${hi.toFixed(1)} Mb/s over ${ok.length} runs</title></path>`);
    ok.forEach((r, k) => {
      const one = r.one_queue === true;
      const acks = r.return_path !== undefined;
      const cls = ['run', ...(one ? ['one-queue'] : []), ...(acks ? ['ack-bound'] : [])].join(' ');
      const why = `${one ? ', its flows all on one TX queue' : ''}${acks ? `, its ACKs queued on the way back: ${r.return_path}` : ''}`;
      parts.push(`<circle class="${cls}" cx="${cx + ((k % 3) - 1) * 3}" cy="${y(r.mbps)}" r="2.2" fill="${one ? '#fff' : acks ? ACK_BOUND_COLOR : c}" stroke="${c}" opacity="0.8"><title>${esc(p.id)} run ${r.run + 1}: ${r.mbps.toFixed(1)} Mb/s${esc(why)}</title></circle>`);
    });
    parts.push(`<circle class="point" cx="${cx}" cy="${y(mean)}" r="4.5" fill="${c}" stroke="#fff"><title>${esc(p.id)}: mean ${mean.toFixed(1)} Mb/s (${ok.length} run${ok.length === 1 ? '' : 's'})</title></circle>`);
    segs[segs.length - 1]?.push({ x: cx, y: y(mean) });
  });
  if (byQueues) {
    series.forEach((name, si) => {
      const c = SERIES_COLORS[si % SERIES_COLORS.length] ?? '#000';
      for (const seg of lines.get(name) ?? []) {
        if (seg.length > 1) parts.push(`<polyline class="series" fill="none" stroke="${c}" stroke-width="2" points="${seg.map((pt) => `${pt.x},${pt.y}`).join(' ')}"><title>${esc(name)}</title></polyline>`);
      }
      if (series.length > 1) parts.push(`<rect x="${left}" y="${legendTop + si * 15}" width="12" height="3" fill="${c}"/><text x="${left + 18}" y="${legendTop + si * 15 + 5}" font-size="11" fill="${c}">${esc(name)}</text>`);
    });
  }
  const key = [
    '<circle cx="10" cy="11" r="4.5" fill="#555"/><text x="19" y="15" font-size="11">mean</text>',
    '<path d="M64 5V17M60 5h8M60 17h8" stroke="#555" stroke-width="1.3"/><text x="74" y="15" font-size="11">min–max of the runs</text>',
    '<circle cx="196" cy="11" r="2.2" fill="#555"/><text x="202" y="15" font-size="11">run</text>',
    '<circle cx="236" cy="11" r="2.2" fill="#fff" stroke="#555"/><text x="242" y="15" font-size="11">run on one TX queue</text>',
    '<path d="M362 6l10 10m0 -10l-10 10" stroke="#c00" stroke-width="2.5"/><text x="378" y="15" font-size="11">stalled or failed runs</text>',
    `<circle cx="506" cy="11" r="2.2" fill="${ACK_BOUND_COLOR}" stroke="#555"/><text x="512" y="15" font-size="11">run held back by its ACKs</text>`,
  ].join('');
  parts.push(`<text class="axis-label" x="${left + plotW / 2}" y="${xTitleY}" font-size="12" text-anchor="middle">${byQueues ? 'queues' : 'point'}</text><text class="axis-label" x="14" y="${top + plotH / 2}" font-size="12" text-anchor="middle" transform="rotate(-90 14 ${top + plotH / 2})">Mb/s</text>`);
  return `${svgOpen('id="sweep"', w, h)} role="img" aria-label="${byQueues ? 'throughput against queues' : 'throughput per point'}"><g class="legend">${key}</g>${parts.join('')}</svg>`;
}

/** One sweep point summarised: its runs' statistics (Mb/s) and the bottleneck of its median run; its failed runs. */
export interface SweepRow {
  /** `axis=value,…`. */
  readonly id: string;
  /** Runs that gave a result. */
  readonly runs: number;
  /** Mean, min, max, median and SD of those runs (Mb/s; NaN when every run failed). */
  readonly mean: number;
  readonly min: number;
  readonly max: number;
  readonly median: number;
  readonly sd: number;
  /** Bottleneck of the median run, and its busiest CPU's utilisation (%); empty / NaN when every run failed. */
  readonly bottleneck: string;
  readonly busyPct: number;
  /** The runs that failed. */
  readonly failed: readonly SweepFailedRun[];
  /** Runs of a point of several queues whose flows all used one TX queue (0 when the file does not say). */
  readonly oneQueue: number;
  /** Whether the point has several queues and its runs say which queues they used. */
  readonly multiQueue: boolean;
  /** Runs that fell short with their ACKs queued on the way back (`return_path`). */
  readonly ackBound: number;
}

/** The points of a sweep as rows (grid order). */
export function sweepRows(res: SweepResults): SweepRow[] {
  return res.points.flatMap((p) => {
    if (p.runs.length === 0) return [];
    const { ok, failed } = pointRuns(p);
    const oneQueue = ok.filter((r) => r.one_queue === true).length;
    const multiQueue = ok.some((r) => r.one_queue !== undefined);
    const ackBound = ok.filter((r) => r.return_path !== undefined).length;
    if (ok.length === 0) return [{ id: p.id, runs: 0, mean: NaN, min: NaN, max: NaN, median: NaN, sd: NaN, bottleneck: '', busyPct: NaN, failed, oneQueue, multiQueue, ackBound }];
    const s = summarize(ok.map((r) => r.mbps));
    const mid = [...ok].sort((a, b) => a.mbps - b.mbps)[Math.floor(ok.length / 2)] as SweepRun;
    return [{ id: p.id, runs: ok.length, mean: s.mean, min: s.min, max: s.max, median: s.median, sd: s.sd, bottleneck: mid.bottleneck, busyPct: mid.busy_pct, failed, oneQueue, multiQueue, ackBound }];
  });
}

/** A row's runs as the tables print them: `n`, or `k/n` when runs failed (`0/2`: none gave a result). */
function runsCell(r: SweepRow): string {
  return r.failed.length === 0 ? String(r.runs) : `${r.runs}/${r.runs + r.failed.length}`;
}

/** The last column of a row: the median run's bottleneck, what the failed runs show (`stalled`, an iperf3 error), the runs on one TX queue, the runs held back by their ACKs. */
function rowStatus(r: SweepRow): string {
  const cells = [...new Set(r.failed.map(failureCell))].join(', ');
  if (r.runs === 0) return cells;
  const total = r.runs + r.failed.length;
  const failed = r.failed.length === 0 ? '' : `; ${r.failed.length} of ${total} runs failed: ${cells}`;
  const one = r.oneQueue === 0 ? '' : `; ${r.oneQueue} of ${r.runs} runs on one TX queue (flows hashed onto one queue)`;
  const acks = r.ackBound === 0 ? '' : `; ${r.ackBound} of ${r.runs} runs held back by their ACKs (queued in the receiver's TX qdisc)`;
  return `${r.bottleneck}${failed}${one}${acks}`;
}

/** One line per failed run: the point, run, seed, the error and the stall diagnosis (unless the error already gives it). */
export function failureNotes(res: SweepResults): string[] {
  return res.points.flatMap((p) => p.runs.filter(runFailed).map((r) => `${p.id} run ${r.run + 1} (seed ${r.seed}): ${r.error}${r.stall === undefined || r.error.includes(r.stall) ? '' : `; stalled: ${r.stall}`}`));
}

/** When `res` is one shard of a sweep (not a merge): `i/n`; else null. */
export function singleShard(res: SweepResults): string | null {
  if (res.partial === true || res.shards.length !== 1) return null;
  const [spec] = res.shards;
  return spec === undefined || parseShard(spec).count === 1 ? null : spec;
}

/** A shard's or partial merge's banner text, or null. */
function sweepBanner(res: SweepResults): { readonly head: string; readonly rest: string } | null {
  const missing = res.missing_shards ?? [];
  if (res.partial === true) return { head: `partial: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} missing`, rest: 'their runs are not in the table or the chart' };
  const one = singleShard(res);
  if (one === null) return null;
  const n = parseShard(one).count;
  return { head: `one shard: ${one}`, rest: `this file holds every ${n === 2 ? '2nd' : n === 3 ? '3rd' : `${n}th`} run of the sweep; ntb-bench merge joins the shards` };
}

/** The sweep's table for the terminal (lines of at most TERM_WIDTH columns): one line per point, then the failed runs with their reasons. */
export function formatSweepTable(res: SweepResults): string {
  const rows = sweepRows(res);
  // Point ids too long to leave room for the numbers go on a line of their own.
  const longest = Math.max(5, ...rows.map((r) => r.id.length));
  const stacked = longest + 49 > TERM_WIDTH - 20;
  const w = stacked ? 5 : longest;
  const cols = `${'point'.padEnd(w)} ${'runs'.padStart(5)} ${'mean'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'SD'.padStart(7)} ${'busy'.padStart(5)}  bottleneck`;
  const head = `${cols} (median run)`.length <= TERM_WIDTH ? `${cols} (median run)` : cols;
  const lines = [head, '─'.repeat(Math.min(head.length, TERM_WIDTH))];
  const num = (x: number, d: number, width: number): string => (Number.isNaN(x) ? '-' : x.toFixed(d)).padStart(width);
  for (const r of rows) {
    if (stacked) lines.push(...wrapText('', r.id, 2));
    const prefix = `${(stacked ? '' : r.id).padEnd(w)} ${runsCell(r).padStart(5)} ${num(r.mean, 1, 8)} ${num(r.min, 1, 8)} ${num(r.max, 1, 8)} ${(r.runs === 0 ? '-' : sdCell(r.sd, r.runs)).padStart(7)} ${(Number.isNaN(r.busyPct) ? '-' : `${r.busyPct.toFixed(0)}%`).padStart(5)}  `;
    lines.push(...wrapText(prefix, rowStatus(r), prefix.length <= 60 ? prefix.length : 4));
  }
  lines.push('', ...wrapText('', 'mean, min, max, SD: Mb/s over the runs that gave a result (runs k/n: k of n did); busy: the busiest CPU of the median run, whose bottleneck follows.', 2));
  const base = describeBase(res.base);
  if (base.length > 0) lines.push('', ...wrapText('', `Under the axes (global options; an axis overrides): ${base.join(' ')}`, 2));
  if (res.partial === true) lines.push('', ...wrapText('', `PARTIAL: shard${(res.missing_shards ?? []).length > 1 ? 's' : ''} ${(res.missing_shards ?? []).join(', ')} missing; their runs are not in the table`, 2));
  const banner = singleShard(res) === null ? null : sweepBanner(res);
  if (banner !== null) lines.push('', ...wrapText('', `ONE SHARD (${singleShard(res) ?? ''}): ${banner.rest}`, 2));
  const notes = failureNotes(res);
  if (notes.length > 0) lines.push('', 'Failed runs:', ...notes.flatMap((n) => wrapText('  ', n, 4)));
  return lines.join('\n') + '\n';
}

/** The sweep's self-contained HTML page: the table and the chart. */
export function sweepHtml(res: SweepResults): string {
  const num = (x: number, d: number): string => (Number.isNaN(x) ? '-' : x.toFixed(d));
  const all = sweepRows(res);
  const multi = all.some((r) => r.multiQueue);
  const rows = all
    .map((r) => `<tr${r.failed.length > 0 ? ' class="failed"' : ''}><td>${esc(r.id)}</td><td>${runsCell(r)}</td><td>${num(r.mean, 1)}</td><td>${num(r.min, 1)}</td><td>${num(r.max, 1)}</td><td>${num(r.median, 1)}</td><td>${r.runs === 0 ? '-' : sdCell(r.sd, r.runs)}</td><td>${Number.isNaN(r.busyPct) ? '-' : `${r.busyPct.toFixed(0)}%`}</td>${multi ? `<td>${r.multiQueue ? `${r.oneQueue}/${r.runs}` : ''}</td>` : ''}<td>${esc(rowStatus(r))}</td></tr>`)
    .join('\n');
  const notes = failureNotes(res);
  const failures = notes.length === 0 ? '' : `<h2>Failed runs</h2><ul id="sweep-failures">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  const banner = sweepBanner(res);
  const shardsNote = res.shards.length === 1 && res.shards[0] === '1/1' ? '' : `, shards ${esc(res.shards.join(' '))}`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ntbsim sweep</title>
${PAGE_HEAD}
</head><body>
<h1>ntbsim sweep (${esc(res.profile)}, ${res.runs} runs × ${res.duration_s} s${shardsNote})</h1>
${banner === null ? '' : `<p id="${res.partial === true ? 'sweep-partial' : 'sweep-shard'}" class="banner"><b>${esc(banner.head)}</b>: ${esc(banner.rest)}.</p>`}
${describeBase(res.base).length === 0 ? '' : `<p id="sweep-base">Under the axes (global options; an axis overrides): ${esc(describeBase(res.base).join(' '))}</p>`}
${scrollBox(`<table id="sweep-results"><thead><tr><th>point</th><th title="runs that gave a result, of those run">runs</th><th>mean (Mb/s)</th><th>min (Mb/s)</th><th>max (Mb/s)</th><th>median (Mb/s)</th><th>SD (Mb/s)</th><th title="the busiest CPU of the median run">busiest CPU</th>${multi ? '<th title="runs in which one TX queue carried ≥ 95 % of the bytes (iperf3 streams hashed onto one queue)">runs on one queue</th>' : ''}<th>bottleneck (median run)</th></tr></thead>
<tbody>
${rows}
</tbody></table>`)}
${failures}
<h2>${res.grid.queues !== undefined ? 'Throughput against queues' : 'Throughput per point'} (Mb/s)</h2>
${sweepSvg(res)}
</body></html>
`;
}
