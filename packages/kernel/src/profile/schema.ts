/**
 * Platform profiles: the physical costs the model charges, as validated data. Every
 * parameter is `{ value, unit, source, note }`: the unit is fixed by the schema, `source`
 * says where the value comes from (a datasheet or code fact, a published measurement, a
 * calibration fit, or an estimate) and `note` cites it. A bad profile is rejected with the
 * field path, the value and what is allowed.
 */
import { z } from 'zod';

/** Where a parameter value comes from. */
export const PARAM_SOURCES = ['datasheet', 'code', 'measured', 'calibrated', 'estimate'] as const;

/** The provenance of a parameter value. */
export type ParamSource = (typeof PARAM_SOURCES)[number];

interface Range {
  readonly min?: number;
  readonly max?: number;
  readonly positive?: boolean;
  readonly int?: boolean;
  readonly oneOf?: readonly number[];
}

function describe(r: Range): string {
  if (r.oneOf) return `one of ${r.oneOf.join(', ')}`;
  const parts: string[] = [];
  if (r.int) parts.push('an integer');
  else parts.push('a number');
  if (r.positive) parts.push('> 0');
  if (r.min !== undefined) parts.push(`≥ ${r.min}`);
  if (r.max !== undefined) parts.push(`≤ ${r.max}`);
  return parts.join(' ');
}

function param<U extends string>(unit: U, range: Range) {
  const allowed = describe(range);
  const value = z.number({ error: `allowed ${allowed}` }).refine(
    (v) =>
      Number.isFinite(v) &&
      (!range.int || Number.isInteger(v)) &&
      (!range.positive || v > 0) &&
      (range.min === undefined || v >= range.min) &&
      (range.max === undefined || v <= range.max) &&
      (range.oneOf === undefined || range.oneOf.includes(v)),
    { error: `allowed ${allowed}` },
  );
  return z.strictObject({
    value,
    unit: z.literal(unit, { error: `allowed the unit "${unit}"` }),
    source: z.enum(PARAM_SOURCES, { error: `allowed ${PARAM_SOURCES.join(', ')}` }),
    note: z.string({ error: 'allowed a non-empty string citing the source' }).min(1, { error: 'allowed a non-empty string citing the source' }),
  });
}

/** What a profile without `memory.ramMiB` gets: 4 GiB (MiB). */
export const DEFAULT_RAM_MIB = Object.freeze({
  value: 4096,
  unit: 'MiB' as const,
  source: 'estimate' as const,
  note: 'default when a profile leaves memory.ramMiB out: 4 GiB',
});

/** The schema of a platform profile. */
export const profileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { error: 'allowed lower-case letters, digits and dashes' }),
  description: z.string().min(1, { error: 'allowed a non-empty string' }),
  cpu: z
    .strictObject({
    /** CPUs running Linux. */
    count: param('cpus', { int: true, min: 1, max: 32 }),
    /** Core clock: the CPU-bound costs (per packet, per checksummed or user-copied byte, interrupt and softirq entry, wakeups) scale by `costClockMhz / clockMhz`. */
    clockMhz: param('MHz', { positive: true, max: 10_000 }),
    /**
     * The clock the profile's CPU costs were measured or calibrated at; `clockMhz` when left
     * out. Change `clockMhz` alone to ask what another clock does; give both when the costs
     * describe a board at its own clock. Memory-, bus- and link-bound costs (copies to and from
     * PCIe windows, cached memcpy, MMIO round trips) do not scale.
     */
    costClockMhz: param('MHz', { positive: true, max: 10_000 }).optional(),
    /**
     * CPUs per last-level cache (the scheduler's LLC domain, `cpus_share_cache`): CPUs i and
     * j share one when ⌊i / llcCpus⌋ = ⌊j / llcCpus⌋ (all of them when it is ≥ `count`).
     */
    llcCpus: param('cpus', { int: true, min: 1, max: 32 }),
    })
    .transform((cpu) => ({ ...cpu, costClockMhz: cpu.costClockMhz ?? { ...cpu.clockMhz, note: `default when a profile leaves cpu.costClockMhz out: the costs are at cpu.clockMhz (${cpu.clockMhz.value} MHz)` } })),
  kernel: z.strictObject({
    /** CONFIG_HZ: timer tick rate. */
    hz: param('Hz', { oneOf: [100, 250, 300, 1000] }),
    /** Hardirq entry + exit (vector dispatch, handler prologue/epilogue, EOI). */
    irqEntryExitNs: param('ns', { min: 0, max: 1e6 }),
    /** Softirq / tasklet dispatch overhead per run. */
    softirqEntryNs: param('ns', { min: 0, max: 1e6 }),
    /** Waking a sleeping task and switching to it. */
    wakeupNs: param('ns', { min: 0, max: 1e7 }),
    /** Starting a userland program from a shell: fork + execve + dynamic linking until main(). */
    execNs: param('ns', { min: 0, max: 1e9 }),
  }),
  memory: z.strictObject({
    /** CPU memcpy, cached source to cached destination. */
    memcpyCachedMBps: param('MB/s', { positive: true }),
    /** CPU memcpy_toio into a write-combined (Normal-NC) PCIe window. */
    memcpyToWcMBps: param('MB/s', { positive: true }),
    /** CPU memcpy out of a dma_alloc_coherent buffer (uncached on non-coherent platforms). */
    readUncachedMBps: param('MB/s', { positive: true }),
    /** Fixed cost of one memcpy call (setup, alignment head/tail). */
    memcpyCallNs: param('ns', { min: 0, max: 1e6 }),
    /** Non-posted MMIO read round trip over PCIe (ioread32 of a peer BAR). */
    mmioReadNs: param('ns', { min: 0, max: 1e7 }),
    /** Issuing one posted MMIO write (iowrite32). */
    mmioWriteNs: param('ns', { min: 0, max: 1e6 }),
    /**
     * DRAM the kernel runs in (the device tree's or firmware's memory ranges), what sizes
     * RAM-derived defaults such as TCP's tcp_mem. Optional: a profile without it gets
     * `DEFAULT_RAM_MIB`.
     */
    ramMiB: param('MiB', { positive: true, max: 16 * 1024 * 1024 }).default(DEFAULT_RAM_MIB),
  }),
  pcie: z.strictObject({
    /** Link generation (1..6). */
    gen: param('gen', { int: true, min: 1, max: 6 }),
    /** Trained link width. */
    lanes: param('lanes', { oneOf: [1, 2, 4, 8, 16] }),
    /** Share of link bandwidth left for payload after TLP/DLLP overhead. */
    tlpEfficiency: param('ratio', { positive: true, max: 1 }),
    /** One-way latency of a TLP through both controllers and the link. */
    latencyNs: param('ns', { min: 0, max: 1e6 }),
    /** MSI vectors the endpoint function can raise. */
    msiVectors: param('vectors', { oneOf: [1, 2, 4, 8, 16, 32] }),
  }),
  dma: z.strictObject({
    /** DMA engine channels usable by ntb_transport (0 = none). */
    channels: param('channels', { int: true, min: 0, max: 32 }),
    /** Per-channel DMA copy rate. */
    rateMBps: param('MB/s', { positive: true }),
    /** Descriptor preparation + submission per transfer (CPU). */
    setupNs: param('ns', { min: 0, max: 1e6 }),
    /** From a transfer's end to its done interrupt being raised; the channel starts its next descriptor only once that interrupt is handled. */
    doneLatencyNs: param('ns', { min: 0, max: 1e9 }),
  }),
  net: z.strictObject({
    /** Sender stack per packet: socket, TCP/UDP + IP output, qdisc, driver xmit (no byte copies). */
    txPerPacketNs: param('ns', { min: 0, max: 1e6 }),
    /** Receiver stack per packet: netif_receive_skb, IP, TCP/UDP input, socket queueing. */
    rxPerPacketNs: param('ns', { min: 0, max: 1e6 }),
    /** Building, sending and processing one TCP ACK. */
    ackNs: param('ns', { min: 0, max: 1e6 }),
    /** Software Internet checksum over payload bytes (no offload on ntb_netdev). */
    csumMBps: param('MB/s', { positive: true }),
    /** copy_to_user / copy_from_user, cached. */
    userCopyMBps: param('MB/s', { positive: true }),
    /** skb allocation + free. */
    skbAllocNs: param('ns', { min: 0, max: 1e6 }),
  }),
  noise: z.strictObject({
    /** Run-to-run spread: each host scales its costs by N(1, sd) drawn once per run. */
    runScaleSd: param('ratio', { min: 0, max: 0.5 }),
    /** Per-charge jitter of the large per-byte costs: N(1, sd) per call. */
    chargeJitterSd: param('ratio', { min: 0, max: 0.5 }),
  }),
});

/** A validated platform profile. */
export type PlatformProfile = z.infer<typeof profileSchema>;

/** One profile parameter: value, fixed unit, provenance. */
export type ProfileParam = PlatformProfile['cpu']['count'];
