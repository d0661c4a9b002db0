/**
 * The seeds' experiment matrix (two R-Car S4 Spider boards, iperf3 client on the EP, server on
 * the RC) and the published figures: the 10-run TCP table of the multi-queue series' reply
 * (baseline / ntb_num_queues=1 / =2, with raw runs) and the single-run UDP and per-bit rows.
 */

/** One published row (Mb/s). Single-run rows carry only `mean`. */
export interface Published {
  /** Mean (or the single published value). */
  readonly mean: number;
  /** Minimum of the runs. */
  readonly min?: number;
  /** Maximum of the runs. */
  readonly max?: number;
  /** Median of the runs. */
  readonly median?: number;
  /** Standard deviation of the runs. */
  readonly sd?: number;
  /** The raw runs. */
  readonly runs?: readonly number[];
  /** Where the figure comes from. */
  readonly source: string;
  /**
   * The condition it was measured under, where that restricts the model runs it compares with:
   * `flows-distributed`, the iperf3 streams spread over the queues (the per-bit figures: the
   * series' v3 cover letter gives them "where flows are properly distributed across queues").
   */
  readonly condition?: 'flows-distributed';
  /** Another published measurement of the same setup (Mb/s) and its source. */
  readonly also?: { readonly value: number; readonly source: string };
}

/** A lab configuration and the iperf3 test to run on it (a reproduce scenario or a sweep point). */
export interface RunConfig {
  /** Identifier, e.g. `mq2-perbit-tcp`. */
  readonly id: string;
  /** iperf3 protocol. */
  readonly protocol: 'tcp' | 'udp';
  /** ntb_netdev variant. */
  readonly variant: 'baseline' | 'mq';
  /** Queue pairs (ethtool -L combined N; one MW per QP in BAR2). */
  readonly queues: number;
  /** Doorbell code on both boards. */
  readonly doorbell: 'legacy' | 'per-bit';
  /** Spread the RC's QP vectors over CPUs with smp_affinity (the seed's "irq smp_affinity properly adjusted"). */
  readonly spreadIrqs: boolean;
  /** Memory windows in BAR2 (default: one per QP, at most 4). */
  readonly mwCount?: number;
  /** Size of each MW (bytes; default 1 MiB, or 2 MiB / MWs when that is smaller). */
  readonly mwSize?: number;
  /** ntb_transport parameters. */
  readonly transport?: Readonly<Record<string, number | boolean>>;
  /** ntb_netdev wake mechanism. */
  readonly wakeTimer?: 'jiffy' | 'hrtimer';
  /** How the hrtimer wake is armed: `soft` (HRTIMER_MODE_REL_SOFT, the default) or `hard`. */
  readonly hrtimerMode?: 'soft' | 'hard';
  /** Which way the data flows: the seed's EP → RC (client on the EP), or RC → EP. */
  readonly direction?: 'ep-to-rc' | 'rc-to-ep';
  /** Sysctls for both boards. */
  readonly sysctl?: Readonly<Record<string, number | string>>;
  /** The CPU the iperf3 server is pinned to (`iperf3 -s -A N`); default unpinned. */
  readonly serverCpu?: number;
  /** The TCP congestion control of the test's streams (`iperf3 -C`); default the boards' (cubic). */
  readonly congestion?: 'cubic' | 'reno';
  /**
   * How the EP learns of the host's doorbells: `poll` (its command handler scans the slots every
   * msecs_to_jiffies(5), 8 ms at HZ 250; R-Car S4: no GITS_TRANSLATER mapping for an MSI doorbell) or `irq` (the vNTB
   * `msi_doorbell`, one EP interrupt per slot). Default poll.
   */
  readonly epDoorbell?: 'poll' | 'irq';
  /**
   * How the RC's DWC MSI controller hands the EP's vectors to CPUs: `redirect` (Linux 7.0's
   * genirq redirection: a vector runs on the CPU of its smp_affinity, after an IPI from the
   * msi SPI's CPU), `chained` (earlier kernels: all on the SPI's CPU, smp_affinity refused) or
   * `direct` (as an ITS or APIC delivers). Default redirect.
   */
  readonly dwMsi?: 'redirect' | 'chained' | 'direct';
  /** ntb0's txqueuelen on both boards (`ip link set ntb0 txqueuelen N`, packets): the limit of each TX queue's qdisc. Default 1000 (DEFAULT_TX_QUEUE_LEN). */
  readonly txqueuelen?: number;
  /** ntb0's MTU on both boards (`ip link set ntb0 mtu N` once the links are up: ntb_netdev's change_mtu takes the QPs down and up), bytes. Default the driver's, max_size − ETH_HLEN. */
  readonly mtu?: number;
  /** The RPS map (CPU mask) of every ntb0 RX queue on the board that receives the test's data (`echo MASK > /sys/class/net/ntb0/queues/rx-N/rps_cpus`). Default none (0). */
  readonly rpsCpus?: number;
  /** RFS on the board that receives the test's data: `net.core.rps_sock_flow_entries` 32768 and `rps_flow_cnt` 2048 on each ntb0 RX queue (the values Documentation/networking/scaling.rst suggests for a moderately loaded server). Default off. */
  readonly rfs?: boolean;
}

/** One scenario of the seed matrix: a configuration with its published figure. */
export interface Scenario extends RunConfig {
  /** The published figure. */
  readonly published: Published;
}

const TCP_TABLE = 'Koichiro Den, reply to v1 of "net: ntb_netdev: multi-queue" (2026-02-25): 10-run TCP table';
const SINGLE = 'Koichiro Den, cover letter of "net: ntb_netdev: multi-queue" v1 (2026-02-24): single run';
const PERBIT = 'Koichiro Den, same reply: ntb_num_queues=2 + "NTB: epf: per-doorbell bit" series + smp_affinity';
const PERBIT_V3 = 'Koichiro Den, cover letter of "net: ntb_netdev: multi-queue" v3 (2026-03-05): ethtool -L combined 2 + the EPF series, "where flows are properly distributed across queues", re-measured with v3';

/** The seed's matrix, in the seed's table order. */
export const SCENARIOS: readonly Scenario[] = [
  { id: 'baseline-tcp', protocol: 'tcp', variant: 'baseline', queues: 1, doorbell: 'legacy', spreadIrqs: false, published: { mean: 599.5, min: 590, max: 605, median: 602, sd: 5.84, runs: [601, 604, 592, 593, 605, 590, 605, 598, 603, 604], source: TCP_TABLE } },
  { id: 'baseline-udp', protocol: 'udp', variant: 'baseline', queues: 1, doorbell: 'legacy', spreadIrqs: false, published: { mean: 598, source: SINGLE } },
  { id: 'mq1-tcp', protocol: 'tcp', variant: 'mq', queues: 1, doorbell: 'legacy', spreadIrqs: false, published: { mean: 595.2, min: 590, max: 604, median: 593, sd: 6.01, runs: [604, 604, 590, 593, 591, 603, 590, 594, 590, 593], source: TCP_TABLE } },
  { id: 'mq1-udp', protocol: 'udp', variant: 'mq', queues: 1, doorbell: 'legacy', spreadIrqs: false, published: { mean: 605, source: SINGLE } },
  { id: 'mq2-legacy-tcp', protocol: 'tcp', variant: 'mq', queues: 2, doorbell: 'legacy', spreadIrqs: false, published: { mean: 600.4, min: 593, max: 605, median: 601.5, sd: 4.12, runs: [601, 603, 600, 603, 605, 602, 596, 593, 605, 596], source: TCP_TABLE } },
  { id: 'mq2-legacy-udp', protocol: 'udp', variant: 'mq', queues: 2, doorbell: 'legacy', spreadIrqs: false, published: { mean: 598, source: SINGLE } },
  { id: 'mq2-perbit-tcp', protocol: 'tcp', variant: 'mq', queues: 2, doorbell: 'per-bit', spreadIrqs: true, published: { mean: 1150, source: PERBIT, condition: 'flows-distributed', also: { value: 1130, source: PERBIT_V3 } } },
  { id: 'mq2-perbit-udp', protocol: 'udp', variant: 'mq', queues: 2, doorbell: 'per-bit', spreadIrqs: true, published: { mean: 1180, source: PERBIT, condition: 'flows-distributed', also: { value: 1160, source: PERBIT_V3 } } },
];

/** The seed's iperf3 client command lines (`${SERVER_IP}` is the RC). */
export const IPERF3_CLIENT = {
  tcp: 'iperf3 -Z -c ${SERVER_IP} -l 65480 -w 512M -P 4',
  udp: 'iperf3 -ub0 -c ${SERVER_IP} -l 65480 -w 512M -P 4',
} as const;

/** Summary statistics of a sample. */
export interface Summary {
  /** Mean. */
  readonly mean: number;
  /** Minimum. */
  readonly min: number;
  /** Maximum. */
  readonly max: number;
  /** Median. */
  readonly median: number;
  /** Sample standard deviation (n − 1), as a spreadsheet's STDEV.S. */
  readonly sd: number;
}

/** Mean, min, max, median and sample SD of `xs` (non-empty). */
export function summarize(xs: readonly number[]): Summary {
  const n = xs.length;
  if (n === 0) throw new RangeError('summarize: empty sample');
  const sorted = [...xs].sort((a, b) => a - b);
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  const sd = n > 1 ? Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
  return { mean, min: sorted[0] as number, max: sorted[n - 1] as number, median, sd };
}
