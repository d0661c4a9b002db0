/**
 * `ntb-bench sweep`: a grid over any lab parameter (queues, MWs, doorbell mode, polled or
 * interrupt-driven EP doorbells, IRQ
 * affinity, transport_mtu, use_dma (and the multi-channel DMA series' use_tx_dma, use_rx_dma,
 * num_tx_dma_chan, num_rx_dma_chan), DMA channels, tx_memcpy_offload, HZ, wake timer,
 * direction, protocol, driver variant, the iperf3 server's CPU), profile (built-in or a file) and any
 * numeric profile parameter (`GROUP.FIELD`, e.g. `memory.readUncachedMBps=60,78`), run on the worker pool; `--shard i/n` runs every n-th job so a batch engine
 * (CI matrix, Kubernetes Jobs, Slurm arrays) can split it, and `merge` joins the shards.
 */
import { readFileSync } from 'node:fs';
import { extendProfile, getProfile, parseProfile } from '@ntbsim/kernel';
import { KERNEL_PARAM_NAMES, transportParams } from '@ntbsim/ntb-transport';
import { esc, PAGE_STYLE } from './report.js';
import { profileDigest, runPool, runSeed, type Job, type JobOutcome } from './reproduce.js';
import { summarize, type RunConfig } from './scenarios.js';

/** The axes a sweep can vary, with the values each accepts. */
export const AXES = {
  queues: 'integer 1..8',
  mws: 'integer 1..4',
  doorbell: 'legacy | per-bit',
  ep_doorbell: 'poll | irq',
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
  direction: 'ep-to-rc | rc-to-ep',
  protocol: 'tcp | udp',
  variant: 'mq | baseline',
  profile: 'rcar-s4 | x86-server | a profile file (FILE.json, as ntb-bench profile writes it)',
  dma_channels: 'integer 0..32',
  server_cpu: 'any | integer 0..31',
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
      case 'server_cpu':
        return v === 'any' || int <= 31;
      case 'profile':
        return v === 'rcar-s4' || v === 'x86-server' || v.endsWith('.json');
      case 'affinity':
      case 'direction':
      case 'doorbell':
      case 'ep_doorbell':
      case 'protocol':
      case 'variant':
      case 'wake_timer':
        return AXES[axis].split(' | ').includes(v);
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
  readonly netdev?: { readonly queues?: number; readonly variant?: 'mq' | 'baseline'; readonly wakeTimer?: 'jiffy' | 'hrtimer' };
  /** Doorbell code on both boards (`--doorbell`). */
  readonly doorbell?: 'legacy' | 'per-bit';
  /** Memory windows (`--mws`). */
  readonly mws?: number;
  /** Host → EP doorbells polled or interrupt-driven (`--ep-doorbell`). */
  readonly epDoorbell?: 'poll' | 'irq';
}

/** A base configuration as `name=value` words (empty when there is none). */
export function describeBase(base: SweepBase | undefined): string[] {
  if (base === undefined) return [];
  const names: Readonly<Record<string, string>> = KERNEL_PARAM_NAMES;
  const netdevNames: Readonly<Record<string, string>> = { queues: 'ntb_num_queues', variant: 'variant', wakeTimer: 'wake_timer' };
  const val = (v: unknown): string => (typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  return [
    ...Object.entries(base.transport ?? {}).map(([k, v]) => `ntb_transport.${names[k] ?? k}=${val(v)}`),
    ...Object.entries(base.netdev ?? {}).map(([k, v]) => `ntb_netdev.${netdevNames[k] ?? k}=${val(v)}`),
    ...(base.doorbell === undefined ? [] : [`doorbell=${base.doorbell}`]),
    ...(base.mws === undefined ? [] : [`mws=${base.mws}`]),
    ...(base.epDoorbell === undefined ? [] : [`ep_doorbell=${base.epDoorbell}`]),
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
    const epDoorbell = (v.ep_doorbell ?? base.epDoorbell) as 'poll' | 'irq' | undefined;
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
      ...(epDoorbell === undefined ? {} : { epDoorbell }),
      ...(v.direction === undefined ? {} : { direction: v.direction as 'ep-to-rc' | 'rc-to-ep' }),
      ...(v.server_cpu === undefined || v.server_cpu === 'any' ? {} : { serverCpu: Number(v.server_cpu) }),
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
    } catch (e) {
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
    if (o.ok) list.push({ run: j.run, seed: j.options.seed, mbps: Math.round(o.result.mbps * 10) / 10, bottleneck: o.result.bottleneck.stage, busy_pct: Math.round(o.result.bottleneck.busyPct) });
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
  ['the base configuration (--param, --doorbell, --mws, --ep-doorbell)', (s) => describeBase(s.base).join(' ') || 'none'],
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

/** Throughput against queues, one line per configuration of the other axes (SVG). */
export function sweepSvg(res: SweepResults): string {
  const groups = new Map<string, { q: number; mean: number }[]>();
  for (const p of res.points) {
    const rest = Object.entries(p.values).filter(([k]) => k !== 'queues').map(([k, v]) => `${k}=${v}`).join(',') || 'default';
    const ok = p.runs.filter((r): r is SweepRun => !runFailed(r));
    if (ok.length === 0) continue;
    const mean = ok.reduce((s, r) => s + r.mbps, 0) / ok.length;
    const list = groups.get(rest) ?? [];
    list.push({ q: Number(p.values.queues ?? 1), mean });
    groups.set(rest, list);
  }
  const w = 640;
  const h = 320;
  const maxQ = Math.max(1, ...res.points.map((p) => Number(p.values.queues ?? 1)));
  const maxY = Math.max(1, ...[...groups.values()].flat().map((x) => x.mean)) * 1.1;
  const x = (q: number): number => 50 + ((w - 70) * (q - 1)) / Math.max(1, maxQ - 1);
  const y = (v: number): number => h - 30 - ((h - 50) * v) / maxY;
  const colors = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7'];
  const parts: string[] = [`<line x1="50" y1="${h - 30}" x2="${w - 20}" y2="${h - 30}" stroke="#888"/><line x1="50" y1="10" x2="50" y2="${h - 30}" stroke="#888"/>`];
  for (let q = 1; q <= maxQ; q++) parts.push(`<text x="${x(q)}" y="${h - 12}" font-size="10" text-anchor="middle">${q}</text>`);
  // Mb/s ticks at a 1-2-5 step giving at most six of them.
  const rough = maxY / 6;
  const mag = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].map((m) => m * mag).find((v) => v >= rough) ?? 10 * mag);
  for (let v = 0; v <= maxY; v += step) {
    parts.push(`<line class="ytick" x1="46" y1="${y(v)}" x2="50" y2="${y(v)}" stroke="#888"/><text x="44" y="${y(v) + 3}" font-size="10" text-anchor="end">${Number(v.toPrecision(6))}</text>`);
  }
  [...groups.entries()].forEach(([name, pts], i) => {
    const c = colors[i % colors.length] ?? '#000';
    const sorted = [...pts].sort((a, b) => a.q - b.q);
    parts.push(`<polyline class="series" fill="none" stroke="${c}" stroke-width="2" points="${sorted.map((p) => `${x(p.q)},${y(p.mean)}`).join(' ')}"><title>${name}</title></polyline>`);
    // A marker per point, so that a series of one point (a sweep without a queues axis) shows.
    for (const p of sorted) parts.push(`<circle class="point" cx="${x(p.q)}" cy="${y(p.mean)}" r="3.5" fill="${c}"><title>${name}, ${p.q} queue${p.q === 1 ? '' : 's'}: ${p.mean.toFixed(1)} Mb/s</title></circle>`);
    parts.push(`<text x="${w - 20}" y="${20 + i * 14}" font-size="10" text-anchor="end" fill="${c}">${name}</text>`);
  });
  parts.push(`<text x="${w / 2}" y="${h}" font-size="11" text-anchor="middle">queues</text><text x="12" y="${h / 2}" font-size="11" transform="rotate(-90 12 ${h / 2})">Mb/s</text>`);
  return `<svg id="sweep" xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" role="img" aria-label="throughput against queues">${parts.join('')}</svg>`;
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
}

/** The points of a sweep as rows (grid order). */
export function sweepRows(res: SweepResults): SweepRow[] {
  return res.points.flatMap((p) => {
    if (p.runs.length === 0) return [];
    const ok = p.runs.filter((r): r is SweepRun => !runFailed(r));
    const failed = p.runs.filter(runFailed);
    if (ok.length === 0) return [{ id: p.id, runs: 0, mean: NaN, min: NaN, max: NaN, median: NaN, sd: NaN, bottleneck: '', busyPct: NaN, failed }];
    const s = summarize(ok.map((r) => r.mbps));
    const mid = [...ok].sort((a, b) => a.mbps - b.mbps)[Math.floor(ok.length / 2)] as SweepRun;
    return [{ id: p.id, runs: ok.length, mean: s.mean, min: s.min, max: s.max, median: s.median, sd: s.sd, bottleneck: mid.bottleneck, busyPct: mid.busy_pct, failed }];
  });
}

/** The last column of a row: the median run's bottleneck, and what the failed runs show (`stalled`, an iperf3 error). */
function rowStatus(r: SweepRow): string {
  const cells = [...new Set(r.failed.map(failureCell))].join(', ');
  if (r.runs === 0) return cells;
  const bottleneck = `${r.bottleneck} (${r.busyPct.toFixed(0)} %)`;
  return r.failed.length === 0 ? bottleneck : `${bottleneck}; ${r.failed.length} of ${r.runs + r.failed.length} runs failed: ${cells}`;
}

/** One line per failed run: the point, run, seed, the error and the stall diagnosis (unless the error already gives it). */
export function failureNotes(res: SweepResults): string[] {
  return res.points.flatMap((p) => p.runs.filter(runFailed).map((r) => `${p.id} run ${r.run + 1} (seed ${r.seed}): ${r.error}${r.stall === undefined || r.error.includes(r.stall) ? '' : `; stalled: ${r.stall}`}`));
}

/** The sweep's table for the terminal: one line per point, then the failed runs with their reasons. */
export function formatSweepTable(res: SweepResults): string {
  const rows = sweepRows(res);
  const w = Math.max(5, ...rows.map((r) => r.id.length));
  const head = `${'point'.padEnd(w)} ${'runs'.padStart(4)} ${'mean'.padStart(8)} ${'min'.padStart(8)} ${'max'.padStart(8)} ${'SD'.padStart(7)}  (Mb/s)  bottleneck (median run)`;
  const lines = [head, '─'.repeat(head.length)];
  const num = (x: number, d: number, width: number): string => (Number.isNaN(x) ? '-' : x.toFixed(d)).padStart(width);
  for (const r of rows) {
    lines.push(`${r.id.padEnd(w)} ${String(r.runs).padStart(4)} ${num(r.mean, 1, 8)} ${num(r.min, 1, 8)} ${num(r.max, 1, 8)} ${num(r.sd, 2, 7)}          ${rowStatus(r)}`);
  }
  const base = describeBase(res.base);
  if (base.length > 0) lines.push('', `Under the axes (global options; an axis overrides): ${base.join(' ')}`);
  if (res.partial === true) lines.push('', `PARTIAL: shard${(res.missing_shards ?? []).length > 1 ? 's' : ''} ${(res.missing_shards ?? []).join(', ')} missing; their runs are not in the table`);
  const notes = failureNotes(res);
  if (notes.length > 0) lines.push('', 'Failed runs:', ...notes.map((n) => `  ${n}`));
  return lines.join('\n') + '\n';
}

/** The sweep's self-contained HTML page: the table and the chart of throughput against queues. */
export function sweepHtml(res: SweepResults): string {
  const num = (x: number, d: number): string => (Number.isNaN(x) ? '-' : x.toFixed(d));
  const rows = sweepRows(res)
    .map((r) => `<tr${r.failed.length > 0 ? ' class="failed"' : ''}><td>${esc(r.id)}</td><td>${r.runs}</td><td>${num(r.mean, 1)}</td><td>${num(r.min, 1)}</td><td>${num(r.max, 1)}</td><td>${num(r.median, 1)}</td><td>${num(r.sd, 2)}</td><td>${esc(rowStatus(r))}</td></tr>`)
    .join('\n');
  const notes = failureNotes(res);
  const failures = notes.length === 0 ? '' : `<h2>Failed runs</h2><ul id="sweep-failures">${notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ntbsim sweep</title>
${PAGE_STYLE}
</head><body>
<h1>ntbsim sweep (${esc(res.profile)}, ${res.runs} runs × ${res.duration_s} s, shards ${esc(res.shards.join(' '))})</h1>
${res.partial === true ? `<p id="sweep-partial"><b>Partial sweep</b>: shards ${esc((res.missing_shards ?? []).join(', '))} missing; their runs are not in the table.</p>` : ''}
${describeBase(res.base).length === 0 ? '' : `<p id="sweep-base">Under the axes (global options; an axis overrides): ${esc(describeBase(res.base).join(' '))}</p>`}
<table id="sweep-results"><thead><tr><th>point</th><th>runs</th><th>mean</th><th>min</th><th>max</th><th>median</th><th>SD</th><th>bottleneck (median run)</th></tr></thead>
<tbody>
${rows}
</tbody></table>
${failures}
<h2>Throughput against queues (Mb/s)</h2>
${sweepSvg(res)}
</body></html>
`;
}
