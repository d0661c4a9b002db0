/**
 * /proc, /sys and debugfs files of the lab — the tree `ls` lists and the shell's pathname
 * expansion walks (`lookup`), what `cat` prints, and what `echo … >` writes (`echoRedirect`):
 * `/proc/interrupts` (kernel/irq/proc.c show_interrupts layout: a CPU header, then per vector
 * its number, per-CPU counts, chip, hwirq, trigger and name), /proc/net, the net-sysfs files
 * of /sys/class/net/<dev> (`operstate`, `carrier`, `mtu`, the carrier counts, `statistics/`,
 * the RPS map `queues/rx-N/rps_cpus` and RFS flow count `rps_flow_cnt`, the XPS map `queues/tx-N/xps_cpus`), `/sys/kernel/debug/ntb_transport/<dev>/qpN/stats`, and
 * the debugfs files of ntb_perf, ntb_pingpong and ntb_tool (`/sys/kernel/debug/ntb_tool/<dev>/…`,
 * read and written through `@ntbsim/ntb-tool`); /proc/irq comes from `procIrq.ts`, /proc/sys
 * from `procSys.ts`, /sys/module from `sysModule.ts`, `/proc/stat`, `/proc/softirqs` and
 * `/proc/uptime` from `kstat.ts`. A write to a file that takes none fails as its filesystem
 * fails it: EIO from procfs, EINVAL from debugfs, EACCES at the open from sysfs.
 */
import { ERRNO, errnoName, kstrtointFromUser, kstrtoll, kstrtou8FromUser, kstrtoull, strerror, type Errno, type IrqVector, type Simulation } from '@ntbsim/kernel';
import { DW_MSI_GIC_HWIRQ, type PcieFabric } from '@ntbsim/ntb-hw-epf';
import type { NtbPerf } from '@ntbsim/ntb-perf';
import { EISDIR, ERESTART, type NtbTool } from '@ntbsim/ntb-tool';
import { NetError, type NetDevice, type NetDevStats, type TcpExtMib, type UdpMib } from '@ntbsim/net-core';
import { formatQpStats } from '@ntbsim/ntb-transport';
import type { Board } from '../lab/lab.js';
import { result, type Command, type CommandResult, type ShellEnv } from '../types.js';
import { ipiRows, nrIrqs, procSoftirqs, procStat, procUptime, type IpiRow } from './kstat.js';
import { coreutilsHelpTail } from './coreutils.js';
import { cpumaskParse, maskHex } from './cpumask.js';
import { irqNode, writeIrq } from './procIrq.js';
import { sysctlNode, writeSysctlFile } from './procSys.js';
import { moduleNode, writeModuleParam } from './sysModule.js';
import { interleaved, type StreamWrite } from './output.js';
import { absPath, cwdOf, inTmpfs, openForWrite, TMPFS_TOP, tmpfsNode, type FsError } from './tmpfs.js';

/** R-Car S4's PCIe controller "dma" interrupt: GIC_SPI 417, level-high, so GIC hwirq 449. */
const EDMA_GIC_HWIRQ = 417 + 32;

/**
 * The chip, hwirq and trigger /proc/interrupts shows for `irq` (the `index`-th vector of its
 * name): ntb_hw_epf's MSI vectors are in the per-device MSI domain of the DesignWare host
 * (chip `DW-PCI-MSI-<pci name>`, hwirq = MSI index, edge); the eDMA interrupt is a GICv3 SPI
 * (level); any other vector shows as an edge MSI numbered by its index.
 */
function irqChip(board: Board, irq: IrqVector, index: number): { chip: string; hwirq: number; trigger: 'Edge' | 'Level' } {
  if (irq.name === 'ntb_epf') return { chip: `DW-PCI-MSI-${board.transport()?.dev.name ?? '0000:01:00.0'}`, hwirq: index, trigger: 'Edge' };
  if (irq.name === 'dw-edma') return { chip: 'GICv3', hwirq: EDMA_GIC_HWIRQ, trigger: 'Level' };
  if (irq.name === 'dw-pcie-msi') return { chip: 'GICv3', hwirq: DW_MSI_GIC_HWIRQ, trigger: 'Level' };
  return { chip: 'MSI', hwirq: index, trigger: 'Edge' };
}

/** One /proc/interrupts row. */
export interface InterruptRow {
  /** Linux IRQ number. */
  readonly num: number;
  /** Handled interrupts per online CPU. */
  readonly counts: readonly number[];
  /** The chip's name (or what its irq_print_chip prints). */
  readonly chip: string;
  /** The hardware IRQ number in its domain. */
  readonly hwirq: number;
  /** Level or Edge, printed by kernels built with CONFIG_GENERIC_IRQ_SHOW_LEVEL (arm64). */
  readonly trigger?: 'Edge' | 'Level';
  /** The descriptor's name (x86 sets the flow handler's, e.g. `edge`). */
  readonly flow?: string;
  /** The handlers' names (irqaction). */
  readonly actions: readonly string[];
}

/**
 * /proc/interrupts as show_interrupts prints it: `prec` is the width of nr_irqs' largest
 * number (at least 3); the header is indented prec+8 and names each CPU "CPU%-8d"; a row is
 * "%*d:", " %10u" per CPU, a space, the chip "%8s", the hwirq " %*lu" (prec), the trigger
 * " %-8s", the descriptor name "-%-8s", then "  %s" and ", %s" for the handlers. Then, given
 * `ipis`, arm64's arch_show_interrupts: per IPI "%*s%u:%s" ("IPI" at prec−1, its index, a
 * space if prec ≥ 4), "%10u " per CPU and "      %s" for its name; and "%*s: %10lu" for Err.
 */
export function formatInterrupts(cpus: readonly number[], rows: readonly InterruptRow[], nrIrqs: number, ipis?: readonly IpiRow[]): string {
  let prec = 3;
  for (let j = 1000; prec < 10 && j <= nrIrqs; j *= 10) prec++;
  let out = `${' '.repeat(prec + 8)}${cpus.map((c) => `CPU${String(c).padEnd(8)}`).join('')}\n`;
  for (const r of rows) {
    out += `${String(r.num).padStart(prec)}:${r.counts.map((n) => ` ${String(n).padStart(10)}`).join('')} ${r.chip.padStart(8)} ${String(r.hwirq).padStart(prec)}`;
    if (r.trigger !== undefined) out += ` ${r.trigger.padEnd(8)}`;
    if (r.flow !== undefined) out += `-${r.flow.padEnd(8)}`;
    out += r.actions.length > 0 ? `  ${r.actions.join(', ')}\n` : '\n';
  }
  if (ipis === undefined) return out;
  ipis.forEach((r, i) => {
    out += `${'IPI'.padStart(prec - 1)}${i}:${prec >= 4 ? ' ' : ''}${r.counts.map((n) => `${String(n).padStart(10)} `).join('')}      ${r.name}\n`;
  });
  return `${out}${'Err'.padStart(prec)}: ${'0'.padStart(10)}\n`;
}

/** The numbered rows of `board`'s /proc/interrupts. A chained parent (the DWC's msi SPI) has no irqaction: show_interrupts prints it without a name, and only once it has counts. */
function irqRows(board: Board): InterruptRow[] {
  const host = board.host;
  const seen = new Map<string, number>();
  return [...host.irqs.values()]
    .sort((a, b) => a.num - b.num)
    .flatMap((irq): InterruptRow[] => {
      const index = seen.get(irq.name) ?? 0;
      seen.set(irq.name, index + 1);
      const counts = host.cpus.map((c) => irq.counts[c.id] ?? 0);
      if (irq.chained && counts.every((n) => n === 0)) return [];
      return [{ num: irq.num, counts, ...irqChip(board, irq, index), actions: irq.chained ? [] : [irq.name] }];
    });
}

/** The text of /proc/interrupts on `board`, as its arm64 kernel (CONFIG_GENERIC_IRQ_SHOW_LEVEL) prints it. */
export function procInterrupts(board: Board): string {
  return formatInterrupts(
    board.host.cpus.map((c) => c.id),
    irqRows(board),
    nrIrqs(board),
    ipiRows(board),
  );
}

/**
 * /proc/interrupts' lines as sysstat reads them (read_interrupts_stat): the text before the
 * colon, trimmed, as the name (`16`, `IPI0`, `Err`) and a count per CPU (Err's one number goes
 * to CPU 0).
 */
export function interruptLines(board: Board): { readonly name: string; readonly counts: readonly number[] }[] {
  const lines = irqRows(board).map((r) => ({ name: String(r.num), counts: r.counts }));
  const ipis = ipiRows(board);
  if (ipis === undefined) return lines;
  return [...lines, ...ipis.map((r, i) => ({ name: `IPI${i}`, counts: r.counts })), { name: 'Err', counts: board.host.cpus.map(() => 0) }];
}

const QUEUE_MAP = /^\/sys\/class\/net\/([^/]+)\/queues\/(?:rx-(0|[1-9]\d*)\/(rps_cpus|rps_flow_cnt)|tx-(0|[1-9]\d*)\/(xps_cpus))$/;

/** The steering files of a queue's sysfs directory: an RX queue's RPS map and RFS flow count, a TX queue's XPS map. */
const QUEUE_FILES = { rx: ['rps_cpus', 'rps_flow_cnt'], tx: ['xps_cpus'] } as const;

/** A queue's steering file: an RX queue's `rps_cpus` or `rps_flow_cnt`, or a TX queue's `xps_cpus`. */
interface QueueMap {
  readonly dev: NetDevice;
  readonly file: 'rps_cpus' | 'rps_flow_cnt' | 'xps_cpus';
  readonly q: number;
}

/** The queue file a `…/queues/rx-N/{rps_cpus,rps_flow_cnt}` or `…/tx-N/xps_cpus` path names on `board` (it exists for N below the real queue count), or null. */
function queueMap(board: Board, path: string): QueueMap | null {
  const m = QUEUE_MAP.exec(normalizePath(path));
  const dev = m === null ? undefined : board.stack.devices.find((x) => x.name === m[1]);
  if (m === null || dev === undefined) return null;
  const rx = m[3] !== undefined;
  const q = Number(rx ? m[2] : m[4]);
  const file = (rx ? m[3] : m[5]) as QueueMap['file'];
  return q < (rx ? dev.realNumRxQueues : dev.realNumTxQueues) ? { dev, file, q } : null;
}

/** A read the kernel refuses with an errno other than ENOENT (an ntb_tool file: `cat link` is EINVAL). */
export interface ReadErrno {
  /** Its strerror text. */
  readonly error: string;
}

/**
 * A node of a board's file tree: a directory and its entries, or a file whose `read` gives its
 * text (null when reading it fails with ENOENT, as `xps_cpus` of a single-queue device does; a
 * `ReadErrno` for another errno).
 */
export type FsNode = { readonly kind: 'dir'; readonly entries: readonly string[] } | { readonly kind: 'file'; readonly read: () => string | null | ReadErrno };

/** The components of the absolute `path` (tmpfs.ts's `absParts` resolves a relative one from the shell's working directory): empty and `.` dropped, `..` climbs. */
export function pathParts(path: string): string[] {
  const parts: string[] = [];
  for (const p of path.split('/')) {
    if (p === '' || p === '.') continue;
    if (p === '..') parts.pop();
    else parts.push(p);
  }
  return parts;
}

/** `path` as an absolute path without `.`, `..`, repeated or trailing slashes. */
export function normalizePath(path: string): string {
  return `/${pathParts(path).join('/')}`;
}

const range = <T>(n: number, f: (i: number) => T): T[] => Array.from({ length: n }, (_, i) => f(i));
const dir = (entries: readonly string[]): FsNode => ({ kind: 'dir', entries });
const file = (read: () => string | null | ReadErrno): FsNode => ({ kind: 'file', read });

/**
 * The node at `path` on `board`, or null: the modelled part of its tree — `/proc/interrupts`,
 * /proc/irq, `/proc/net/{arp,dev,netstat,snmp,softnet_stat}`, /proc/sys/net, /sys/module's
 * loaded modules' parameters, /sys/class/net/<dev> with `queues/{rx,tx}-N` (tx-N with
 * `xps_cpus`) for the real queue counts, and `/sys/kernel/debug/ntb_transport/<dev>/qpN/stats`
 * per QP of the probed transport (the debugfs directory exists while ntb_transport is loaded).
 */
export function lookup(board: Board, path: string): FsNode | null {
  const r = resolve(board, path);
  return typeof r === 'string' ? null : r;
}

/**
 * Path resolution as the kernel's namei walks it: component by component from `/`, so a file
 * met where a directory is needed (`/proc/interrupts/x`, `/proc/interrupts/`) is ENOTDIR and a
 * missing component ENOENT; otherwise the node.
 */
export function resolve(board: Board, path: string): FsNode | 'ENOENT' | 'ENOTDIR' {
  if (path === '') return 'ENOENT';
  // A relative path starts at the shell's working directory.
  const raw = `${path.startsWith('/') ? '' : cwdOf(board)}/${path}`.split('/').filter((c) => c !== '');
  const parts: string[] = [];
  let node = nodeAt(board, parts) as FsNode;
  for (const comp of raw) {
    if (node.kind === 'file') return 'ENOTDIR';
    if (comp === '..') parts.pop();
    else if (comp !== '.') parts.push(comp);
    const next = nodeAt(board, parts);
    if (next === null) return 'ENOENT';
    node = next;
  }
  return node.kind === 'file' && path.endsWith('/') ? 'ENOTDIR' : node;
}

/** strerror of what `resolve` gave for a path that is not there. */
export function pathError(errno: 'ENOENT' | 'ENOTDIR'): string {
  return errno === 'ENOTDIR' ? 'Not a directory' : 'No such file or directory';
}

/** Whether `path` names an existing file of the kernel's (/proc, /sys, debugfs), which its own handler writes, not the tmpfs. */
export function isKernelFile(board: Board, path: string): boolean {
  return lookup(board, path)?.kind === 'file' && !inTmpfs(board, path);
}

/**
 * open(O_WRONLY | O_CREAT) of `path` by the user's shell or tool, for a file not of the
 * kernel's: namei of its directory first (a missing one, or a file in the way, fails so),
 * then the tmpfs's create or truncate (`append`: O_APPEND); the writer, or why not.
 */
export function openUserFile(board: Board, path: string, append: boolean): { readonly write: (text: string) => void } | FsError {
  const parent = path.replace(/\/+$/, '').replace(/[^/]*$/, '');
  const dir = resolve(board, parent === '' ? '.' : parent);
  if (typeof dir === 'string') return dir === 'ENOTDIR' ? 'Not a directory' : 'No such file or directory';
  if (dir.kind === 'file') return 'Not a directory';
  if (lookup(board, path)?.kind === 'dir') return 'Is a directory';
  return openForWrite(board, path, append);
}

/** What cat, grep, head, tail and wc read at `path`: the file's text, or why not (strerror; `dir` for a directory). */
export function readPath(board: Board, path: string): { readonly text: string } | { readonly error: string; readonly dir: boolean } {
  const node = resolve(board, path);
  if (typeof node === 'string') return { error: pathError(node), dir: false };
  if (node.kind === 'dir') return { error: 'Is a directory', dir: true };
  const text = node.read();
  if (text !== null && typeof text === 'object') return { error: text.error, dir: false };
  return text === null ? { error: 'No such file or directory', dir: false } : { text };
}

/** The node of the normalised components `p`, or null. */
function nodeAt(board: Board, p: readonly string[]): FsNode | null {
  const key = p.join('/');
  const [a, b, c, d, e, f] = p;
  if ((TMPFS_TOP as readonly (string | undefined)[]).includes(a)) {
    const n = tmpfsNode(board, p);
    return n === null ? null : n.kind === 'dir' ? dir(n.entries) : file(() => n.text);
  }
  if (a === 'proc' && b === 'irq') return irqNode(board, p.slice(2));
  if (a === 'proc' && b === 'sys') return sysctlNode(board, p.slice(2));
  if (a === 'sys' && b === 'module') return moduleNode(board, p.slice(2));
  switch (p.length) {
    case 0:
      return dir(['proc', 'sys', ...TMPFS_TOP]);
    case 1:
      return key === 'proc' ? dir(['interrupts', 'irq', 'net', 'softirqs', 'stat', 'sys', 'uptime']) : key === 'sys' ? dir(['class', 'kernel', 'module']) : null;
    case 2:
      if (key === 'proc/interrupts') return file(() => procInterrupts(board));
      if (key === 'proc/stat') return file(() => procStat(board));
      if (key === 'proc/softirqs') return file(() => procSoftirqs(board));
      if (key === 'proc/uptime') return file(() => procUptime(board));
      if (key === 'proc/net') return dir(['arp', 'dev', 'netstat', 'snmp', 'softnet_stat']);
      if (key === 'sys/class') return dir(['net']);
      if (key === 'sys/kernel') return dir(['debug']);
      return null;
    default:
  }
  if (key === 'proc/net/softnet_stat') return file(() => procSoftnetStat(board));
  if (key === 'proc/net/dev') return file(() => procNetDev(board));
  if (key === 'proc/net/arp') return file(() => procNetArp(board));
  if (key === 'proc/net/snmp') return file(() => procNetSnmp(board));
  if (key === 'proc/net/netstat') return file(() => procNetNetstat(board));
  if (a === 'sys' && b === 'class' && c === 'net') {
    const devs = board.stack.devices;
    if (p.length === 3) return dir(devs.map((x) => x.name).sort());
    const dev = devs.find((x) => x.name === d);
    if (dev === undefined || p.length > 7) return null;
    if (p.length === 4) return dir(['carrier', 'carrier_changes', 'carrier_down_count', 'carrier_up_count', 'mtu', 'operstate', 'queues', 'statistics']);
    // net-sysfs: `mtu` (%d), and the statistics group, one rtnl_link_stats64 counter per file (%lu).
    if (e === 'mtu') return p.length === 5 ? file(() => `${dev.mtu}\n`) : null;
    if (e === 'operstate') return p.length === 5 ? file(() => `${sysfsOperstate(dev)}\n`) : null;
    // carrier_show: netif_carrier_ok as %d while the device is up (netif_running), else EINVAL.
    if (e === 'carrier') return p.length === 5 ? file(() => (dev.isUp ? `${dev.netifCarrierOk() ? 1 : 0}\n` : { error: 'Invalid argument' })) : null;
    if (e === 'statistics') {
      if (p.length === 5) return dir(Object.keys(SYSFS_STATS));
      const key = SYSFS_STATS[f ?? ''];
      return p.length === 6 && key !== undefined ? file(() => `${dev.stats[key]}\n`) : null;
    }
    // The carrier transition counts of net-sysfs (carrier_changes = up + down).
    const counts = dev.carrierCounts;
    const carrier: Readonly<Record<string, number>> = { carrier_changes: counts.changes, carrier_down_count: counts.down, carrier_up_count: counts.up };
    const n = carrier[e ?? ''];
    if (n !== undefined) return p.length === 5 ? file(() => `${n}\n`) : null;
    if (e !== 'queues') return null;
    if (p.length === 5) return dir([...range(dev.realNumRxQueues, (i) => `rx-${i}`), ...range(dev.realNumTxQueues, (i) => `tx-${i}`)]);
    const names = QUEUE_FILES[f?.startsWith('rx-') === true ? 'rx' : 'tx'];
    const map = queueMap(board, `/${key}${p.length === 6 ? `/${names[0]}` : ''}`);
    if (map === null) return null;
    if (p.length === 6) return dir([...names]);
    const ncpus = board.host.cpus.length;
    // show_rps_map: the CPUs of the queue's map; show_rps_dev_flow_table_cnt: its flow table's
    // entries (%lu). xps_cpus_show: -ENOENT unless the device is multiqueue; else the CPUs
    // mapped to the queue.
    if (map.file === 'rps_cpus') return file(() => `${maskHex(map.dev.rpsCpus(map.q), ncpus)}\n`);
    if (map.file === 'rps_flow_cnt') return file(() => `${map.dev.rpsFlowCnt(map.q)}\n`);
    return file(() => (map.dev.numTxQueues > 1 ? `${maskHex(map.dev.txQueue(map.q).xpsCpus, ncpus)}\n` : null));
  }
  if (a === 'sys' && b === 'kernel' && c === 'debug') {
    const t = board.transport();
    if (p.length === 3) return dir([...(board.transportLoaded() ? ['ntb_transport'] : []), ...(board.perfModule() !== null ? ['ntb_perf'] : []), ...(board.toolModule() !== null ? ['ntb_tool'] : []), ...(board.pingpongModule() !== null ? ['ntb_pingpong'] : [])]);
    if (d === 'ntb_perf') return perfNode(board, p.slice(4));
    if (d === 'ntb_pingpong') return pingpongNode(board, p.slice(4));
    if (d === 'ntb_tool') return toolNode(board, p.slice(4));
    if (d !== 'ntb_transport' || !board.transportLoaded()) return null;
    if (p.length === 4) return dir(t === null ? [] : [t.dev.name]);
    if (t === null || e !== t.dev.name) return null;
    if (p.length === 5) return dir(range(t.qps.length, (i) => `qp${i}`));
    const qp = /^qp(0|[1-9]\d*)$/.exec(f ?? '');
    const q = qp === null ? undefined : t.qps[Number(qp[1])];
    if (q === undefined) return null;
    if (p.length === 6) return dir(['stats']);
    return p.length === 7 && p[6] === 'stats' ? file(() => formatQpStats(q)) : null;
  }
  return null;
}

/**
 * /proc/net/softnet_stat as softnet_seq_show prints it (net/core/net-procfs.c, v6.5 on): one
 * line per online CPU of 15 `%08x` fields — processed, dropped (backlog over
 * netdev_max_backlog), time_squeeze, five zeros (was fastroute), 0 (was cpu_collision),
 * received_rps (the RPS IPIs it took), flow_limit_count (0), backlog length, CPU index, input_pkt_queue
 * and process_queue lengths. The model keeps one backlog per CPU: all of it is reported as
 * input_pkt_queue, process_queue as 0.
 */
export function procSoftnetStat(board: Board): string {
  const stack = board.stack;
  const hex = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');
  return stack
    .softnetStat()
    .map((st, cpu) => {
      const qlen = stack.backlogLength(cpu);
      return `${[st.processed, st.dropped, st.timeSqueeze, 0, 0, 0, 0, 0, 0, st.receivedRps, 0, qlen, cpu, qlen, 0].map(hex).join(' ')}\n`;
    })
    .join('');
}

/**
 * operstate_show of `dev`: `down` while it is not up (netif_running), else its RFC 2863
 * operstate (dev->operstate, which linkwatch's rfc2863_policy sets from the carrier): the
 * loopback never has a carrier event, so it stays IF_OPER_UNKNOWN (`unknown`); ntb0 is `up`
 * with its carrier and `down` without (default_operstate: not `lowerlayerdown`, which is for a
 * device stacked on another, iflink ≠ ifindex). The model has no linkwatch: the state follows
 * the carrier at once, where the kernel's follows it when linkwatch runs (at once after a quiet
 * second, else up to a second later).
 */
function sysfsOperstate(dev: NetDevice): 'down' | 'unknown' | 'up' {
  if (!dev.isUp) return 'down';
  if (dev.loopback) return 'unknown';
  return dev.netifCarrierOk() ? 'up' : 'down';
}

/**
 * A write to /sys/class/net/<dev>/`attr` (net-sysfs): `carrier` is EOPNOTSUPP (carrier_store:
 * neither ntb0 nor lo has ndo_change_carrier); `mtu` is netdev_store (kstrtoul base 0, then
 * dev_set_mtu with the value cut to an int: EINVAL outside min_mtu..max_mtu, or the driver's
 * errno). Undefined for another attribute.
 */
function writeNetAttr(dev: NetDevice, attr: string, text: string): KernelWrite | undefined {
  if (attr === 'carrier') return 'EOPNOTSUPP';
  if (attr !== 'mtu') return undefined;
  const v = kstrtoull(text);
  if (typeof v === 'number') return errnoName(v) ?? 'EINVAL';
  try {
    dev.setMtu(Number(BigInt.asIntN(32, v)));
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return Object.hasOwn(ERRNO, e.code) ? (e.code as Errno) : 'EINVAL';
  }
  return null;
}

/** The files of /sys/class/net/<dev>/statistics (net-sysfs netstat_attrs) and the counter each shows. */
const SYSFS_STATS: Readonly<Record<string, keyof NetDevStats>> = {
  rx_packets: 'rxPackets',
  tx_packets: 'txPackets',
  rx_bytes: 'rxBytes',
  tx_bytes: 'txBytes',
  rx_errors: 'rxErrors',
  tx_errors: 'txErrors',
  rx_dropped: 'rxDropped',
  tx_dropped: 'txDropped',
  multicast: 'multicast',
  collisions: 'collisions',
  rx_length_errors: 'rxLengthErrors',
  rx_over_errors: 'rxOverErrors',
  rx_crc_errors: 'rxCrcErrors',
  rx_frame_errors: 'rxFrameErrors',
  rx_fifo_errors: 'rxFifoErrors',
  rx_missed_errors: 'rxMissedErrors',
  tx_aborted_errors: 'txAbortedErrors',
  tx_carrier_errors: 'txCarrierErrors',
  tx_fifo_errors: 'txFifoErrors',
  tx_heartbeat_errors: 'txHeartbeatErrors',
  tx_window_errors: 'txWindowErrors',
  rx_compressed: 'rxCompressed',
  tx_compressed: 'txCompressed',
  rx_nohandler: 'rxNohandler',
};

/**
 * /proc/net/arp as arp_seq_show prints it (net/ipv4/arp.c): a header line, then per entry but
 * NOARP and NONE ones the address, HW type 0x1 (ARPHRD_ETHER), flags (0x6 permanent, 0x2
 * resolved, 0x0 while resolving or failed), the last known MAC (zeros if none), mask `*` and
 * device, in arp_format_neigh_entry's widths.
 */
export function procNetArp(board: Board): string {
  let out = 'IP address       HW type     Flags       HW address            Mask     Device\n';
  for (const e of board.stack.arp.entries()) {
    if (e.state === 'NOARP') continue;
    const flags = e.state === 'PERMANENT' ? 6 : e.lladdr !== null ? 2 : 0;
    out += `${e.addr.padEnd(16)} ${'0x1'.padEnd(12)}${`0x${flags.toString(16)}`.padEnd(12)}${e.hwaddr.padEnd(17)}     *        ${e.dev}\n`;
  }
  return out;
}

/**
 * /proc/net/dev as dev_seq_show prints it (net/core/net-procfs.c): two header lines, then per
 * device by ifindex (lo first) `%6s:` and its counters — RX bytes, packets, errs, drop
 * (rx_dropped + rx_missed_errors), fifo, frame (length + over + crc + frame errors),
 * compressed, multicast; TX bytes, packets, errs, drop, fifo, colls, carrier (carrier +
 * aborted + window + heartbeat errors), compressed — in dev_seq_printf_stats' widths.
 */
export function procNetDev(board: Board): string {
  let out = 'Inter-|   Receive                                                |  Transmit\n' + ' face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';
  for (const dev of [...board.stack.devices].sort((a, b) => a.ifindex - b.ifindex)) {
    const s = dev.stats;
    const cols: readonly (readonly [number, number])[] = [
      [s.rxBytes, 7],
      [s.rxPackets, 7],
      [s.rxErrors, 4],
      [s.rxDropped + s.rxMissedErrors, 4],
      [s.rxFifoErrors, 4],
      [s.rxLengthErrors + s.rxOverErrors + s.rxCrcErrors + s.rxFrameErrors, 5],
      [s.rxCompressed, 10],
      [s.multicast, 9],
      [s.txBytes, 8],
      [s.txPackets, 7],
      [s.txErrors, 4],
      [s.txDropped, 4],
      [s.txFifoErrors, 4],
      [s.collisions, 5],
      [s.txCarrierErrors + s.txAbortedErrors + s.txWindowErrors + s.txHeartbeatErrors, 7],
      [s.txCompressed, 10],
    ];
    out += `${dev.name.padStart(6)}: ${cols.map(([v, w]) => String(v).padStart(w)).join(' ')}\n`;
  }
  return out;
}

/** The ICMP message types /proc/net/snmp's Icmp lines list, In then Out (icmpmibmap). */
const ICMP_MIB_TYPES = ['DestUnreachs', 'TimeExcds', 'ParmProbs', 'SrcQuenchs', 'Redirects', 'Echos', 'EchoReps', 'Timestamps', 'TimestampReps', 'AddrMasks', 'AddrMaskReps'] as const;

/**
 * /proc/net/snmp as snmp_seq_show prints it (net/ipv4/proc.c, v6.3 on: Ip's OutTransmits,
 * Icmp's OutRateLimitGlobal/Host, Udp's IgnoredMulti and MemErrors): a header line and a value
 * line per MIB — Ip (Forwarding 2: ip_forward off; DefaultTTL: net.ipv4.ip_default_ttl), Icmp, IcmpMsg (the ICMP
 * types with a nonzero count, In then Out, only when there is one), Tcp (RtoAlgorithm 1, RtoMin
 * 200, RtoMax 120000 ms, MaxConn -1), Udp and UdpLite. Counters the model has no event for
 * (forwarding, IP discards, ICMP errors and rate limits, multicast, UDP-Lite) are 0.
 */
export function procNetSnmp(board: Board): string {
  const stack = board.stack;
  const m = stack.snmp;
  const lines: string[] = [];
  const pair = (name: string, fields: readonly (readonly [string, number])[]): void => {
    lines.push(`${name}: ${fields.map(([k]) => k).join(' ')}`, `${name}: ${fields.map(([, v]) => String(v)).join(' ')}`);
  };
  const ip = m.Ip;
  pair('Ip', [
    ['Forwarding', 2],
    ['DefaultTTL', stack.sysctl.ipDefaultTtl],
    ['InReceives', ip.InReceives],
    ['InHdrErrors', ip.InHdrErrors],
    ['InAddrErrors', ip.InAddrErrors],
    ['ForwDatagrams', 0],
    ['InUnknownProtos', ip.InUnknownProtos],
    ['InDiscards', 0],
    ['InDelivers', ip.InDelivers],
    ['OutRequests', ip.OutRequests],
    ['OutDiscards', 0],
    ['OutNoRoutes', ip.OutNoRoutes],
    ['ReasmTimeout', ip.ReasmTimeout],
    ['ReasmReqds', ip.ReasmReqds],
    ['ReasmOKs', ip.ReasmOKs],
    ['ReasmFails', ip.ReasmFails],
    ['FragOKs', ip.FragOKs],
    ['FragFails', ip.FragFails],
    ['FragCreates', ip.FragCreates],
    ['OutTransmits', ip.OutTransmits],
  ]);
  const icmp = m.Icmp;
  // Per message type the model counts destination unreachables, echo requests and replies.
  const counted = (dir: 'In' | 'Out', t: string): number => (t === 'DestUnreachs' || t === 'Echos' || t === 'EchoReps' ? icmp[`${dir}${t}`] : 0);
  const byType = (dir: 'In' | 'Out'): (readonly [string, number])[] => ICMP_MIB_TYPES.map((t) => [`${dir}${t}`, counted(dir, t)] as const);
  pair('Icmp', [
    ['InMsgs', icmp.InMsgs],
    ['InErrors', icmp.InErrors],
    ['InCsumErrors', icmp.InCsumErrors],
    ...byType('In'),
    ['OutMsgs', icmp.OutMsgs],
    ['OutErrors', 0],
    ['OutRateLimitGlobal', 0],
    ['OutRateLimitHost', 0],
    ...byType('Out'),
  ]);
  // icmpmsg_put: message types by number (echo reply 0, destination unreachable 3, echo request 8), In before Out, nonzero only.
  const msg = (
    [
      ['InType0', icmp.InEchoReps],
      ['InType3', icmp.InDestUnreachs],
      ['InType8', icmp.InEchos],
      ['OutType0', icmp.OutEchoReps],
      ['OutType3', icmp.OutDestUnreachs],
      ['OutType8', icmp.OutEchos],
    ] as const
  ).filter(([, v]) => v !== 0);
  if (msg.length > 0) pair('IcmpMsg', msg);
  const tcp = m.Tcp;
  pair('Tcp', [
    ['RtoAlgorithm', 1],
    ['RtoMin', 200],
    ['RtoMax', 120000],
    ['MaxConn', -1],
    ['ActiveOpens', tcp.ActiveOpens],
    ['PassiveOpens', tcp.PassiveOpens],
    ['AttemptFails', tcp.AttemptFails],
    ['EstabResets', tcp.EstabResets],
    ['CurrEstab', stack.tcpCurrEstab],
    ['InSegs', tcp.InSegs],
    ['OutSegs', tcp.OutSegs],
    ['RetransSegs', tcp.RetransSegs],
    ['InErrs', tcp.InErrs],
    ['OutRsts', tcp.OutRsts],
    ['InCsumErrors', tcp.InCsumErrors],
  ]);
  const udp = m.Udp;
  const udpFields = (u: Readonly<UdpMib>): (readonly [string, number])[] => [
    ['InDatagrams', u.InDatagrams],
    ['NoPorts', u.NoPorts],
    ['InErrors', u.InErrors],
    ['OutDatagrams', u.OutDatagrams],
    ['RcvbufErrors', u.RcvbufErrors],
    ['SndbufErrors', u.SndbufErrors],
    ['InCsumErrors', u.InCsumErrors],
    ['IgnoredMulti', 0],
    ['MemErrors', 0],
  ];
  pair('Udp', udpFields(udp));
  // The model has no UDP-Lite: the same fields, all zero.
  const noUdpLite: UdpMib = { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0 };
  pair('UdpLite', udpFields(noUdpLite));
  return `${lines.join('\n')}\n`;
}

/** /proc/net/netstat's TcpExt fields in the kernel's order (snmp4_net_list, net/ipv4/proc.c, as of v6.17: BeyondWindow, TSEcrRejected, PAWSOldAck and PAWSTimewait after PAWSEstab). */
const TCPEXT_FIELDS: readonly string[] = [
  'SyncookiesSent', 'SyncookiesRecv', 'SyncookiesFailed', 'EmbryonicRsts', 'PruneCalled', 'RcvPruned', 'OfoPruned',
  'OutOfWindowIcmps', 'LockDroppedIcmps', 'ArpFilter', 'TW', 'TWRecycled', 'TWKilled', 'PAWSActive', 'PAWSEstab',
  'BeyondWindow', 'TSEcrRejected', 'PAWSOldAck', 'PAWSTimewait', 'DelayedACKs', 'DelayedACKLocked', 'DelayedACKLost',
  'ListenOverflows', 'ListenDrops', 'TCPHPHits', 'TCPPureAcks', 'TCPHPAcks', 'TCPRenoRecovery', 'TCPSackRecovery',
  'TCPSACKReneging', 'TCPSACKReorder', 'TCPRenoReorder', 'TCPTSReorder', 'TCPFullUndo', 'TCPPartialUndo',
  'TCPDSACKUndo', 'TCPLossUndo', 'TCPLostRetransmit', 'TCPRenoFailures', 'TCPSackFailures', 'TCPLossFailures',
  'TCPFastRetrans', 'TCPSlowStartRetrans', 'TCPTimeouts', 'TCPLossProbes', 'TCPLossProbeRecovery',
  'TCPRenoRecoveryFail', 'TCPSackRecoveryFail', 'TCPRcvCollapsed', 'TCPBacklogCoalesce', 'TCPDSACKOldSent',
  'TCPDSACKOfoSent', 'TCPDSACKRecv', 'TCPDSACKOfoRecv', 'TCPAbortOnData', 'TCPAbortOnClose', 'TCPAbortOnMemory',
  'TCPAbortOnTimeout', 'TCPAbortOnLinger', 'TCPAbortFailed', 'TCPMemoryPressures', 'TCPMemoryPressuresChrono',
  'TCPSACKDiscard', 'TCPDSACKIgnoredOld', 'TCPDSACKIgnoredNoUndo', 'TCPSpuriousRTOs', 'TCPMD5NotFound',
  'TCPMD5Unexpected', 'TCPMD5Failure', 'TCPSackShifted', 'TCPSackMerged', 'TCPSackShiftFallback', 'TCPBacklogDrop',
  'PFMemallocDrop', 'TCPMinTTLDrop', 'TCPDeferAcceptDrop', 'IPReversePathFilter', 'TCPTimeWaitOverflow',
  'TCPReqQFullDoCookies', 'TCPReqQFullDrop', 'TCPRetransFail', 'TCPRcvCoalesce', 'TCPOFOQueue', 'TCPOFODrop',
  'TCPOFOMerge', 'TCPChallengeACK', 'TCPSYNChallenge', 'TCPFastOpenActive', 'TCPFastOpenActiveFail',
  'TCPFastOpenPassive', 'TCPFastOpenPassiveFail', 'TCPFastOpenListenOverflow', 'TCPFastOpenCookieReqd',
  'TCPFastOpenBlackhole', 'TCPSpuriousRtxHostQueues', 'BusyPollRxPackets', 'TCPAutoCorking', 'TCPFromZeroWindowAdv',
  'TCPToZeroWindowAdv', 'TCPWantZeroWindowAdv', 'TCPSynRetrans', 'TCPOrigDataSent', 'TCPHystartTrainDetect',
  'TCPHystartTrainCwnd', 'TCPHystartDelayDetect', 'TCPHystartDelayCwnd', 'TCPACKSkippedSynRecv', 'TCPACKSkippedPAWS',
  'TCPACKSkippedSeq', 'TCPACKSkippedFinWait2', 'TCPACKSkippedTimeWait', 'TCPACKSkippedChallenge', 'TCPWinProbe',
  'TCPKeepAlive', 'TCPMTUPFail', 'TCPMTUPSuccess', 'TCPDelivered', 'TCPDeliveredCE', 'TCPAckCompressed',
  'TCPZeroWindowDrop', 'TCPRcvQDrop', 'TCPWqueueTooBig', 'TCPFastOpenPassiveAltKey', 'TcpTimeoutRehash',
  'TcpDuplicateDataRehash', 'TCPDSACKRecvSegs', 'TCPDSACKIgnoredDubious', 'TCPMigrateReqSuccess',
  'TCPMigrateReqFailure', 'TCPPLBRehash', 'TCPAORequired', 'TCPAOBad', 'TCPAOKeyNotFound', 'TCPAOGood',
  'TCPAODroppedIcmps',
];

/** The model's TcpExt counters whose kernel name differs in case (LINUX_MIB_TCPTIMEOUTREHASH prints as `TcpTimeoutRehash`). */
const TCPEXT_KERNEL_NAMES: Readonly<Partial<Record<keyof TcpExtMib, string>>> = { TCPTimeoutRehash: 'TcpTimeoutRehash' };

/** IpExt fields of /proc/net/netstat (snmp4_ipextstats_list). */
const IPEXT_FIELDS = ['InNoRoutes', 'InTruncatedPkts', 'InMcastPkts', 'OutMcastPkts', 'InBcastPkts', 'OutBcastPkts', 'InOctets', 'OutOctets', 'InMcastOctets', 'OutMcastOctets', 'InBcastOctets', 'OutBcastOctets', 'InCsumErrors', 'InNoECTPkts', 'InECT1Pkts', 'InECT0Pkts', 'InCEPkts', 'ReasmOverlaps'] as const;

/**
 * /proc/net/netstat as netstat_seq_show prints it: a `TcpExt:` header and value line over
 * snmp4_net_list, then `IpExt:` over snmp4_ipextstats_list. Every counter the TCP model keeps
 * is printed under its kernel name; the events the model has no mechanism for (SACK, syncookies, Fast Open, MD5/AO, HyStart,
 * multicast, broadcast, AccECN) stay 0.
 */
export function procNetNetstat(board: Board): string {
  const ext = board.stack.tcpExt;
  const tcp: Partial<Record<string, number>> = {};
  for (const [k, v] of Object.entries(ext) as [keyof TcpExtMib, number][]) tcp[TCPEXT_KERNEL_NAMES[k] ?? k] = v;
  const ip = board.stack.snmp.Ip;
  const ipExt: Partial<Record<(typeof IPEXT_FIELDS)[number], number>> = {
    InOctets: ip.InOctets,
    OutOctets: ip.OutOctets,
    InNoECTPkts: ip.InNoECTPkts,
    InECT1Pkts: ip.InECT1Pkts,
    InECT0Pkts: ip.InECT0Pkts,
    InCEPkts: ip.InCEPkts,
  };
  const pair = (name: string, fields: readonly string[], value: (f: string) => number): string => `${name}: ${fields.join(' ')}\n${name}: ${fields.map((f) => String(value(f))).join(' ')}\n`;
  return pair('TcpExt', TCPEXT_FIELDS, (f) => tcp[f] ?? 0) + pair('IpExt', IPEXT_FIELDS, (f) => ipExt[f as (typeof IPEXT_FIELDS)[number]] ?? 0);
}

/** The files of ntb_perf's debugfs directory (perf_setup_dbgfs), and what each read prints. */
const PERF_FILES: Readonly<Record<string, (perf: NtbPerf) => string | null>> = {
  chunk_order: (perf) => `${perf.params.chunkOrder}\n`,
  info: (perf) => perf.readInfo(),
  run: (perf) => {
    const s = perf.readStats();
    return typeof s === 'string' ? s : null;
  },
  threads_count: (perf) => `${perf.threadsCount}\n`,
  total_order: (perf) => `${perf.params.totalOrder}\n`,
  use_dma: (perf) => (perf.params.useDma ? 'Y\n' : 'N\n'),
};

/** `/sys/kernel/debug/ntb_perf/…` below the module's directory (`rest`): one directory per bound device, with PERF_FILES. */
function perfNode(board: Board, rest: readonly string[]): FsNode | null {
  if (board.perfModule() === null) return null;
  const perf = board.perf();
  if (rest.length === 0) return dir(perf === null ? [] : [perf.dev.name]);
  if (perf === null || rest[0] !== perf.dev.name || rest.length > 2) return null;
  if (rest.length === 1) return dir(Object.keys(PERF_FILES));
  const read = PERF_FILES[rest[1] ?? ''];
  return read === undefined ? null : file(() => read(perf));
}

/** strerror of a negative errno of ntb_tool (ERESTART and EISDIR are not among the kernel package's). */
function toolStrerror(rc: number): string {
  if (rc === -ERESTART) return 'Interrupted system call should be restarted';
  if (rc === -EISDIR) return 'Is a directory';
  return strerror(rc);
}

/**
 * `/sys/kernel/debug/ntb_tool/…` below the module's directory (`rest`): one directory per bound
 * device, then the instance's own tree (its files and `peerN/` directories); a read is the
 * file's read handler, its bytes as Latin-1 text (`peerN/mwN` is binary, `peerN/link` ends in a
 * NUL), or its errno.
 */
function toolNode(board: Board, rest: readonly string[]): FsNode | null {
  if (board.toolModule() === null) return null;
  const tool = board.tool();
  if (rest.length === 0) return dir(tool === null ? [] : [tool.dev.name]);
  if (tool === null || rest[0] !== tool.dev.name) return null;
  const path = rest.slice(1).join('/');
  const kind = tool.kind(path);
  if (kind === 'dir') return dir(tool.list(path) ?? []);
  if (kind === null) return null;
  return file(() => {
    const r = tool.read(path);
    settleTool(board.host.sim, tool);
    if (typeof r === 'number') return r === -ERRNO.ENOENT ? null : { error: toolStrerror(r) };
    return String.fromCharCode(...r);
  });
}

/** ntb_pingpong's debugfs: `ntb_pingpong/<dev>/count` (debugfs_create_atomic_t, read `%lld\n`) while the module is loaded and bound. */
function pingpongNode(board: Board, rest: readonly string[]): FsNode | null {
  if (board.pingpongModule() === null) return null;
  const pp = board.pingpong();
  if (rest.length === 0) return dir(pp === null ? [] : [pp.dev.name]);
  if (pp === null || rest[0] !== pp.dev.name || rest.length > 2) return null;
  if (rest.length === 1) return dir(['count']);
  return rest[1] === 'count' ? file(() => `${pp.count}\n`) : null;
}

/**
 * A write to ntb_pingpong's `count` (simple_attr_write_signed: the first 23 bytes, kstrtoll, then
 * atomic_set): '' when done, the errno of a refused value; null when `path` is not that file.
 */
function writePingpong(env: ShellEnv, path: string, text: string): string | null {
  const parts = pathParts(path);
  const pp = env.board.pingpong();
  if (pp === null || parts.length !== 6 || parts.slice(0, 4).join('/') !== 'sys/kernel/debug/ntb_pingpong' || parts[4] !== pp.dev.name || parts[5] !== 'count') return null;
  const v = kstrtoll(text.slice(0, 23));
  if (typeof v === 'number') return errnoName(v) ?? 'EINVAL';
  pp.setCount(Number(BigInt.asIntN(32, v)));
  return '';
}

/** The longest the lab lets posted writes of an ntb_tool syscall travel before the next command (ns). */
const TOOL_SETTLE_LIMIT_NS = 1_000_000;

/**
 * After an ntb_tool file operation the board's shell goes on where its syscall ended (its MMIO
 * round trips over the link) and, after a write, once the posted writes in flight on the link
 * have landed (at most 1 ms of virtual time; a typed command comes much later), so the next
 * command, on either board, sees them.
 */
function settleTool(sim: Simulation, tool: NtbTool, fabric?: PcieFabric): void {
  if (tool.busyUntil > sim.now) sim.run({ until: tool.busyUntil });
  if (fabric === undefined) return;
  const until = sim.now + TOOL_SETTLE_LIMIT_NS;
  const inFlight = (): boolean => fabric.inFlight('rc-to-ep') > 0 || fabric.inFlight('ep-to-rc') > 0;
  while (inFlight() && sim.now < until) sim.run({ until: Math.min(until, sim.now + 1_000) });
}

/** How long an `echo … >` to an ntb_tool file may block in virtual time before the lab interrupts it (ns). */
export const TOOL_WRITE_LIMIT_NS = 60_000_000_000;

/**
 * A write to ntb_tool's debugfs: `tool.write` of what echo wrote; a write that blocks (`link`
 * and `mw_transN` in EPF commands, `db_event` / `peerN/link_event` until their condition holds)
 * returns when the kernel's would, virtual time running meanwhile; one still blocked after 60 s
 * of virtual time is interrupted, as Ctrl-C would, and reported. Null when `path` is not an
 * ntb_tool file; otherwise the strerror text of a refused write, '' when it was done, or the
 * lab's report of a write that never returned.
 */
function writeTool(env: ShellEnv, path: string, text: string): string | CommandResult | null {
  const parts = pathParts(path);
  if (parts.length < 6 || parts.slice(0, 4).join('/') !== 'sys/kernel/debug/ntb_tool') return null;
  const tool = env.board.tool();
  if (tool === null || parts[4] !== tool.dev.name) return null;
  const rel = parts.slice(5).join('/');
  const sim = env.lab.sim;
  let ended: number | null = null;
  const ret = tool.write(rel, text, (v) => {
    ended = v;
    sim.stop();
  });
  const outcome = (rc: number): string => {
    settleTool(sim, tool, env.lab.pair.fabric);
    return rc >= 0 ? '' : toolStrerror(rc);
  };
  if (ret !== null) return outcome(ret);
  const limit = sim.now + TOOL_WRITE_LIMIT_NS;
  while (ended === null && sim.now < limit) sim.run({ until: limit });
  if (ended === null) {
    tool.interrupt();
    const stop = sim.now + 1_000_000_000;
    while (ended === null && sim.now < stop) sim.run({ until: stop });
    return result('', `ntb-bench: echo ${text.trimEnd()} > ${path} still had not returned ${TOOL_WRITE_LIMIT_NS / 1e9} s (virtual) after it started; interrupted, as Ctrl-C would (the real write would still be blocked)\n`, 1);
  }
  return outcome(ended);
}

/** How long `echo PIDX > run` may block in virtual time before the lab gives up on it (ns). */
const PERF_RUN_LIMIT_NS = 600_000_000_000;

/**
 * A write to ntb_perf's debugfs: `run` starts a test with the peer index written and returns
 * when the kernel's write would (virtual time runs meanwhile): after waiting for the peer's
 * handshake and the test (perf_submit_test); a write still blocked after 600 s of virtual time
 * is interrupted, as Ctrl-C would, and reported. `threads_count` sets the thread count
 * (kstrtou8: ERANGE above 255); the read-only u8 attributes refuse with EACCES, the others with
 * EINVAL. Null when `path` is not an ntb_perf file; otherwise the errno of a refused write, ''
 * when it was done, or the lab's report of a write that never returned.
 */
function writePerf(env: ShellEnv, path: string, text: string): string | CommandResult | null {
  const parts = pathParts(path);
  if (parts.length !== 6 || parts.slice(0, 4).join('/') !== 'sys/kernel/debug/ntb_perf') return null;
  const perf = env.board.perf();
  if (perf === null || parts[4] !== perf.dev.name) return null;
  const name = parts[5];
  if (name === 'chunk_order' || name === 'total_order') return 'EACCES';
  if (name !== 'run' && name !== 'threads_count') return 'EINVAL';
  // perf_dbgfs_write_threads: kstrtou8_from_user; perf_dbgfs_write_run: kstrtoint_from_user.
  const v = name === 'threads_count' ? kstrtou8FromUser(text) : kstrtointFromUser(text);
  if (typeof v === 'number') return errnoName(v) ?? 'EINVAL';
  const n = Number(v);
  if (name === 'threads_count') {
    const rc = perf.setThreadsCount(n);
    return rc === 0 ? '' : (errnoName(rc) ?? 'EINVAL');
  }
  let ended: number | null = null;
  const rc = perf.runTest(n, (r) => {
    ended = r;
  });
  if (rc !== 0) return errnoName(rc) ?? 'EINVAL';
  const sim = env.lab.sim;
  const limit = sim.now + PERF_RUN_LIMIT_NS;
  while (ended === null && sim.now < limit) sim.run({ until: Math.min(limit, sim.now + 10_000_000) });
  if (ended === null) {
    const waiting = perf.peerReady(n) ? 'its test threads had not finished' : `peer ${n}'s handshake had not completed (link ${perf.peerLinkUp(n) ? 'up' : 'down'})`;
    perf.interrupt();
    // The write returns once the test's threads have stopped (at their next chunk).
    const stop = sim.now + 1_000_000_000;
    while (ended === null && sim.now < stop) sim.run({ until: Math.min(stop, sim.now + 1_000_000) });
    return result('', `ntb-bench: echo ${n} > ${path} still had not returned ${PERF_RUN_LIMIT_NS / 1e9} s (virtual) after it started: ${waiting}; interrupted, as Ctrl-C would (the real write would still be blocked)\n`, 1);
  }
  return ended === 0 ? '' : (errnoName(ended) ?? 'EINVAL');
}

/** Read a lab file; null when it does not exist (or is a directory). */
export function readFile(board: Board, path: string): string | null {
  const r = readPath(board, path);
  return 'text' in r ? r.text : null;
}

/** GNU coreutils 8.32's `cat --help`. */
const CAT_HELP = `Usage: cat [OPTION]... [FILE]...
Concatenate FILE(s) to standard output.

With no FILE, or when FILE is -, read standard input.

  -A, --show-all           equivalent to -vET
  -b, --number-nonblank    number nonempty output lines, overrides -n
  -e                       equivalent to -vE
  -E, --show-ends          display $ at end of each line
  -n, --number             number all output lines
  -s, --squeeze-blank      suppress repeated empty output lines
  -t                       equivalent to -vT
  -T, --show-tabs          display TAB characters as ^I
  -u                       (ignored)
  -v, --show-nonprinting   use ^ and M- notation, except for LFD and TAB
      --help     display this help and exit
      --version  output version information and exit

Examples:
  cat f - g  Output f's contents, then standard input, then g's contents.
  cat        Copy standard input to standard output.

` + coreutilsHelpTail('cat');

/** `cat FILE...` (`cat --help`: GNU's usage): each file's text, or its error, in the order of the files. */
export const cat: Command = (argv, env) => {
  const writes: StreamWrite[] = [];
  const args = argv.slice(1);
  const dd = args.indexOf('--');
  if ((dd < 0 ? args : args.slice(0, dd)).includes('--help')) return result(CAT_HELP);
  for (const path of dd < 0 ? args : [...args.slice(0, dd), ...args.slice(dd + 1)]) {
    const r = readPath(env.board, path);
    writes.push('text' in r ? { fd: 1, text: r.text } : { fd: 2, text: `cat: ${path}: ${r.error}\n` });
  }
  return interleaved(writes, writes.some((w) => w.fd === 2) ? 1 : 0);
};

/** GNU ls's short options (ls.c), to tell an option the lab does not model from an invalid one. */
const LS_OPTIONS = new Set('abcdfghiklmnopqrstuvw:xABCDFGHI:LNQRST:UXZ1'.replace(/:/g, ''));

/**
 * GNU ls -C (ls.c calculate_columns, print_many_per_line): for each column count up to
 * width / 3, the names fill the columns top to bottom in ceil(n / cols) rows; a column is as
 * wide as its longest name plus a 2-space gap (the last of the count without it), at least 3;
 * the most columns whose widths sum to less than `width` are used.
 */
export function lsColumns(names: readonly string[], width = 80): string {
  const n = names.length;
  if (n === 0) return '';
  const MIN_COLUMN_WIDTH = 3;
  let best = [0];
  for (let cols = 1; cols <= Math.min(n, Math.max(1, Math.floor(width / MIN_COLUMN_WIDTH))); cols++) {
    const rows = Math.ceil(n / cols);
    const widths = range(cols, () => MIN_COLUMN_WIDTH);
    names.forEach((name, i) => {
      const idx = Math.floor(i / rows);
      widths[idx] = Math.max(widths[idx] as number, name.length + (idx === cols - 1 ? 0 : 2));
    });
    if (cols === 1 || widths.reduce((a, w) => a + w, 0) < width) best = widths;
  }
  const rows = Math.ceil(n / best.length);
  let out = '';
  for (let r = 0; r < rows; r++) {
    let line = '';
    for (let c = 0, i = r; i < n; c++, i += rows) line += i + rows < n ? (names[i] as string).padEnd(best[c] as number) : (names[i] as string);
    out += `${line}\n`;
  }
  return out;
}

/**
 * `ls [-1Cd] [FILE…]` over the board's tree (default `.`, the shell's working directory): files first, then each directory's
 * entries under a `DIR:` heading when more than one argument is given; columns as on an
 * 80-column terminal (`-C`, the default on the terminal) or one per line (`-1`, the default
 * into a pipe). A missing argument is
 * `ls: cannot access 'X': No such file or directory` and exit status 2, as GNU ls.
 */
export const ls: Command = (argv, env) => {
  let one = env.piped === true;
  let dirsAsFiles = false;
  const paths: string[] = [];
  let opts = true;
  for (const arg of argv.slice(1)) {
    if (opts && arg === '--') opts = false;
    else if (opts && arg.startsWith('--')) return result('', `ls: the lab's ls takes -1, -C and -d only (not ${arg})\n`, 2);
    else if (opts && arg.length > 1 && arg.startsWith('-')) {
      for (const ch of arg.slice(1)) {
        if (ch === '1') one = true;
        else if (ch === 'C') one = false;
        else if (ch === 'd') dirsAsFiles = true;
        else if (LS_OPTIONS.has(ch)) return result('', `ls: -${ch}: not supported by the lab's ls (it takes -1, -C and -d; its files have no owners, sizes or times)\n`, 2);
        else return result('', `ls: invalid option -- '${ch}'\nTry 'ls --help' for more information.\n`, 2);
      }
    } else paths.push(arg);
  }
  if (paths.length === 0) paths.push('.');
  const format = (names: readonly string[]): string => (one ? names.map((n) => `${n}\n`).join('') : lsColumns(names));
  let err = '';
  const files: string[] = [];
  const dirs: { path: string; entries: readonly string[] }[] = [];
  for (const path of paths) {
    const node = resolve(env.board, path);
    if (typeof node === 'string') err += `ls: cannot access '${path}': ${pathError(node)}\n`;
    else if (node.kind === 'file' || dirsAsFiles) files.push(path);
    else dirs.push({ path, entries: node.entries });
  }
  const sections: string[] = [];
  if (files.length > 0) sections.push(format([...files].sort(byteOrder)));
  const heading = paths.length > 1;
  for (const d of dirs.sort((x, y) => byteOrder(x.path, y.path))) sections.push(`${heading ? `${d.path}:\n` : ''}${format([...d.entries].sort(byteOrder))}`);
  return result(sections.join('\n'), err, err === '' ? 0 : 2);
};

/** Byte order of two names (the C locale's collation, as the lab's shell and ls sort). */
export function byteOrder(x: string, y: string): number {
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What `echo` writes for `words` (they joined by spaces, then a newline). */
const echoed = (words: readonly string[]): string => `${words.join(' ')}\n`;

const ERRNO_TEXT: Readonly<Record<string, string>> = { EINVAL: 'Invalid argument', EIO: 'Input/output error', EOVERFLOW: 'Value too large for defined data type', ENOENT: 'No such file or directory' };

/** An errno a kernel file's write gives: the kernel package's, or bitmap_parse's EOVERFLOW, which its table lacks. */
export type WriteErrno = Errno | 'EOVERFLOW';

/**
 * What a kernel file's write handler did: null when the write was taken, the errno of a
 * refused write (bash: `echo: write error: …`), or `{ open }` when opening the file for
 * writing already fails (bash: `FILE: …`).
 */
export type KernelWrite = null | WriteErrno | { readonly open: Errno };

/**
 * store_rps_map and xps_cpus_store: bitmap_parse of the text into one bit per CPU (EINVAL,
 * EOVERFLOW), then the RX queue's RPS map (EINVAL if it names CPUs but none online) or
 * netif_set_xps_queue — ENOENT first unless the device is multiqueue; an empty mask clears
 * either map.
 */
function writeQueueMap(board: Board, map: QueueMap, text: string): KernelWrite {
  if (map.file === 'rps_flow_cnt') return writeRpsFlowCnt(map, text);
  if (map.file === 'xps_cpus' && map.dev.numTxQueues <= 1) return 'ENOENT';
  const mask = cpumaskParse(board, text);
  if (typeof mask === 'string') return mask;
  try {
    if (map.file === 'rps_cpus') map.dev.setRpsCpus(map.q, mask);
    else map.dev.setXpsCpus(map.q, mask);
  } catch {
    return 'EINVAL';
  }
  return null;
}

/** store_rps_dev_flow_table_cnt: kstrtoul base 0 (EINVAL, ERANGE), then the table (EINVAL past 2^32 entries, ENOMEM past the board's memory). */
function writeRpsFlowCnt(map: QueueMap, text: string): KernelWrite {
  const v = kstrtoull(text);
  if (typeof v === 'number') return errnoName(v) ?? 'EINVAL';
  try {
    map.dev.setRpsFlowCnt(map.q, v > 2n ** 33n ? 2 ** 33 : Number(v));
  } catch (e) {
    if (!(e instanceof NetError)) throw e;
    return e.code === 'ENOMEM' ? 'ENOMEM' : 'EINVAL';
  }
  return null;
}

/**
 * The write of `text` to the kernel file at the components `p` on `board`, for the files whose
 * handler takes a write and returns at once: /proc/irq, /proc/sys, /sys/module parameters,
 * /sys/class/net/DEV/{carrier,mtu}, rps_cpus, rps_flow_cnt and xps_cpus. Undefined for any other file.
 */
function writeKernelFile(board: Board, p: readonly string[], text: string): KernelWrite | undefined {
  const [a, b, c, d, e] = p;
  if (a === 'proc' && b === 'irq') return writeIrq(board, p.slice(2), text);
  if (a === 'proc' && b === 'sys') return writeSysctlFile(board, p.slice(2), text);
  if (a === 'sys' && b === 'module') return writeModuleParam(board, p.slice(2), text);
  const map = queueMap(board, `/${p.join('/')}`);
  if (map !== null) return writeQueueMap(board, map, text);
  const dev = a === 'sys' && b === 'class' && c === 'net' && p.length === 5 ? board.stack.devices.find((x) => x.name === d) : undefined;
  return dev === undefined ? undefined : writeNetAttr(dev, e ?? '', text);
}

/**
 * A write to a kernel file that takes none: procfs opens it for root and the write is EIO
 * (proc_reg_write without proc_write); debugfs opens it and the write is EINVAL (no write op,
 * so no FMODE_CAN_WRITE); sysfs refuses the open itself, EACCES for a file without a write bit
 * (kernfs_fop_open).
 */
function readOnlyWrite(p: readonly string[]): KernelWrite {
  if (p[0] === 'proc') return 'EIO';
  if (p[1] === 'kernel' && p[2] === 'debug') return 'EINVAL';
  return { open: 'EACCES' };
}

/**
 * `echo VALUE > FILE` (argv = [FILE, VALUE...]): the writable files are
 * /proc/irq/N/smp_affinity and smp_affinity_list, /proc/irq/default_smp_affinity, the
 * sysctls' /proc/sys files, the module parameters of /sys/module, /sys/class/net/DEV/mtu,
 * carrier, queues/rx-N/rps_cpus and rps_flow_cnt and queues/tx-N/xps_cpus, and the debugfs files of ntb_perf, ntb_pingpong and
 * ntb_tool; a write the kernel refuses prints bash's `echo: write error: <strerror>`, a file it
 * will not open for writing bash's `FILE: <strerror>`.
 */
export const echoRedirect: Command = (argv, env) => {
  const [typed = '', ...words] = argv;
  // The handlers below match absolute paths; the messages name the path as typed.
  const path = absPath(env.board, typed);
  const fail = (msg: string): CommandResult => result('', `bash: ${msg}\n`, 1);
  const writeError = (errno: string): CommandResult => fail(`echo: write error: ${ERRNO_TEXT[errno] ?? strerror(errno as Errno)}`);
  const node = resolve(env.board, typed);
  // open(O_WRONLY | O_CREAT) of a name ending in '/' in an existing directory is EISDIR.
  const parent = typed.replace(/\/+$/, '').replace(/[^/]*$/, '');
  if (typed.endsWith('/') && typed !== '/' && lookup(env.board, parent === '' ? '.' : parent)?.kind === 'dir') return fail(`${typed}: Is a directory`);
  if (typeof node === 'string') return fail(`${typed}: ${pathError(node)}`);
  if (node.kind === 'dir') return fail(`${typed}: Is a directory`);
  const perfWrite = writePerf(env, path, echoed(words));
  if (perfWrite !== null) return typeof perfWrite === 'string' ? (perfWrite === '' ? result('') : writeError(perfWrite)) : perfWrite;
  const ppWrite = writePingpong(env, path, echoed(words));
  if (ppWrite !== null) return ppWrite === '' ? result('') : writeError(ppWrite);
  const toolWrite = writeTool(env, path, echoed(words));
  if (toolWrite !== null) return typeof toolWrite === 'string' ? (toolWrite === '' ? result('') : fail(`echo: write error: ${toolWrite}`)) : toolWrite;
  const parts = pathParts(path);
  const written = writeKernelFile(env.board, parts, echoed(words));
  const r = written === undefined ? readOnlyWrite(parts) : written;
  if (r === null) return result('');
  return typeof r === 'string' ? writeError(r) : fail(`${typed}: ${strerror(r.open)}`);
};
