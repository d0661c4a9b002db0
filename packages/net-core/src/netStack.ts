/**
 * The per-host IPv4 stack (`struct net` plus the per-CPU `softnet_data`): devices and their
 * addresses, the routing decision (the connected route of each address on an up device,
 * longest prefix first), the NET_TX and NET_RX softirqs, the per-CPU backlog queues, the TCP
 * small-queue tasklets, the socket tables, the sysctls and the SNMP counters.
 *
 * RPS and RFS: `netif_rx` queues a packet on the backlog of the CPU its flow's socket was last
 * used on (RFS: `net.core.rps_sock_flow_entries` and the RX queue's `rps_flow_cnt`), else the one
 * its RX queue's `rps_cpus` map picks by flow hash (`getRpsCpu`); a backlog scheduled on another
 * CPU gets a function call IPI at the end of this CPU's NET_RX run (`net_rps_send_ipi`), whose
 * handler raises NET_RX there.
 *
 * NET_RX (`net_rx_action` + `process_backlog`) runs on the CPU whose backlog holds the packet,
 * one packet per step, for at most `netdev_budget` packets or `netdev_budget_usecs` per run
 * (then `time_squeeze` and a re-raise). Each packet goes through `ip_rcv` to TCP, UDP or ICMP,
 * which charge the per-packet receive cost and the software checksum on this CPU.
 *
 * IP output fragments a datagram over the MTU without DF, and IP input reassembles fragments
 * (`ipFrag.ts`: `ip_do_fragment`, `ip_defrag`).
 *
 * IP output finds the next hop's Ethernet address in the ARP table (`neighbour.ts`); NET_RX hands
 * ARP packets to it.
 *
 * Simplified: no forwarding, no aRFS, and the
 * per-CPU backlog does not hand over to ksoftirqd under load (a squeezed run is simply raised
 * again).
 */
import { showValue, type Cpu, type ExecContext, type Host, type Rng, type Softirq, type Tasklet } from '@ntbsim/kernel';
import { cpuOf, qdiscRun } from './dev.js';
import { NetError } from './errors.js';
import { ETH_HLEN, formatIpv4, INET_ECN, IPPROTO, IPV4_MIN_MTU, parseIpv4Prefix, prefixMask, type Ipv4Addr } from './inet.js';
import type { NetDevice, NetdevQueue } from './netDevice.js';
import { icmpRcv, PingSocket } from './ping.js';
import { SOCK_MIN_RCVBUF, SOCK_MIN_SNDBUF } from './inetSock.js';
import { IpDefrag, ipFragment } from './ipFrag.js';
import { NeighTable, type NeighParms } from './neighbour.js';
import { QDISC_KINDS } from './sched/qdisc.js';
import { ipIsFragment, type Skb } from './skb.js';
import { TCP_AVAILABLE_CONGESTION_CONTROL, tcpCongestionOps } from './tcp/tcpCong.js';
import { tcpConnKey, tcpV4Rcv } from './tcp/tcpIpv4.js';
import { tcpMemFromRam } from './tcp/tcpMem.js';
import { TcpSocket } from './tcp/tcpSocket.js';
import { RPS_NO_CPU, type IpMib, type NetRx, type NetSysctls, type NetXmit, type RpsDevFlow, type SnmpMib, type TcpExtMib } from './types.js';
import { udpRcv, UdpSocket } from './udp.js';
import { createLoopback } from './loopback.js';

/** 127.0.0.1 (INADDR_LOOPBACK). */
const LOOPBACK_ADDR: Ipv4Addr = 0x7f000001;
/** ip_rt_min_pmtu default (bytes): 512 + 20 + 20. */
const IP_RT_MIN_PMTU = 552;
/** ip_rt_mtu_expires default (ns): 10 min. */
const IP_RT_MTU_EXPIRES_NS = 600e9;

/** Linux defaults of the sysctls the stack reads. */
export const DEFAULT_SYSCTLS: Readonly<NetSysctls> = Object.freeze({
  wmemMax: 212992,
  rmemMax: 212992,
  wmemDefault: 212992,
  rmemDefault: 212992,
  netdevMaxBacklog: 1000,
  netdevBudget: 300,
  netdevBudgetUsecs: 2000,
  devWeight: 64,
  devTxWeight: 64,
  defaultQdisc: 'pfifo_fast',
  txrehash: true,
  rpsSockFlowEntries: 0,
  somaxconn: 4096,
  tcpWmem: [4096, 16384, 4194304] as const,
  tcpRmem: [4096, 131072, 6291456] as const,
  tcpMem: tcpMemFromRam(4096),
  tcpTimestamps: true,
  tcpWindowScaling: true,
  tcpModerateRcvbuf: true,
  tcpLimitOutputBytes: 4194304,
  tcpSynRetries: 6,
  tcpSynackRetries: 5,
  tcpRetries2: 15,
  tcpReordering: 3,
  tcpEcn: 2,
  tcpEcnFallback: true,
  tcpCongestionControl: 'cubic',
  ipLocalPortRange: [32768, 60999] as const,
  ipDefaultTtl: 64,
  ipfragHighThresh: 4194304,
  ipfragLowThresh: 3145728,
  ipfragTime: 30,
});

/** The /proc/sys names of the sysctls (`sysctl -w net.core.wmem_max=…`). */
export const SYSCTL_NAMES: Readonly<Record<string, keyof NetSysctls>> = Object.freeze({
  'net.core.wmem_max': 'wmemMax',
  'net.core.rmem_max': 'rmemMax',
  'net.core.wmem_default': 'wmemDefault',
  'net.core.rmem_default': 'rmemDefault',
  'net.core.netdev_max_backlog': 'netdevMaxBacklog',
  'net.core.netdev_budget': 'netdevBudget',
  'net.core.netdev_budget_usecs': 'netdevBudgetUsecs',
  'net.core.dev_weight': 'devWeight',
  'net.core.dev_weight_tx': 'devTxWeight',
  'net.core.default_qdisc': 'defaultQdisc',
  'net.core.txrehash': 'txrehash',
  'net.core.rps_sock_flow_entries': 'rpsSockFlowEntries',
  'net.core.somaxconn': 'somaxconn',
  'net.ipv4.tcp_wmem': 'tcpWmem',
  'net.ipv4.tcp_rmem': 'tcpRmem',
  'net.ipv4.tcp_mem': 'tcpMem',
  'net.ipv4.tcp_timestamps': 'tcpTimestamps',
  'net.ipv4.tcp_window_scaling': 'tcpWindowScaling',
  'net.ipv4.tcp_moderate_rcvbuf': 'tcpModerateRcvbuf',
  'net.ipv4.tcp_limit_output_bytes': 'tcpLimitOutputBytes',
  'net.ipv4.tcp_syn_retries': 'tcpSynRetries',
  'net.ipv4.tcp_synack_retries': 'tcpSynackRetries',
  'net.ipv4.tcp_retries2': 'tcpRetries2',
  'net.ipv4.tcp_reordering': 'tcpReordering',
  'net.ipv4.tcp_ecn': 'tcpEcn',
  'net.ipv4.tcp_ecn_fallback': 'tcpEcnFallback',
  'net.ipv4.tcp_congestion_control': 'tcpCongestionControl',
  'net.ipv4.ip_local_port_range': 'ipLocalPortRange',
  'net.ipv4.ip_default_ttl': 'ipDefaultTtl',
  'net.ipv4.ipfrag_high_thresh': 'ipfragHighThresh',
  'net.ipv4.ipfrag_low_thresh': 'ipfragLowThresh',
  'net.ipv4.ipfrag_time': 'ipfragTime',
});

/** A net.ipv4.neigh.DEV.* sysctl: the table parameter and how many of its units one /proc unit is. */
interface NeighSysctl {
  readonly key: keyof NeighParms;
  readonly scale: number;
}

/** The net.ipv4.neigh.DEV.* sysctls the ARP table reads, in their /proc units (delay_first_probe_time in s, locktime in USER_HZ ticks). */
const NEIGH_SYSCTLS: Readonly<Record<string, NeighSysctl>> = Object.freeze({
  base_reachable_time_ms: { key: 'baseReachableTimeMs', scale: 1 },
  retrans_time_ms: { key: 'retransTimeMs', scale: 1 },
  delay_first_probe_time: { key: 'delayProbeTimeMs', scale: 1000 },
  locktime: { key: 'locktimeMs', scale: 10 },
  ucast_solicit: { key: 'ucastProbes', scale: 1 },
  mcast_solicit: { key: 'mcastProbes', scale: 1 },
  unres_qlen_bytes: { key: 'queueLenBytes', scale: 1 },
});

/** Read-only sysctls (mode 0444) and their values: net.ipv4.tcp_available_congestion_control. */
const READ_ONLY_SYSCTLS: Readonly<Record<string, string>> = { 'net.ipv4.tcp_available_congestion_control': TCP_AVAILABLE_CONGESTION_CONTROL };
const TRIPLES = new Set<keyof NetSysctls>(['tcpWmem', 'tcpRmem', 'tcpMem']);
const PAIRS = new Set<keyof NetSysctls>(['ipLocalPortRange']);
const BOOLS = new Set<keyof NetSysctls>(['txrehash', 'tcpTimestamps', 'tcpWindowScaling', 'tcpModerateRcvbuf', 'tcpEcnFallback']);
const MIN_ONE = new Set<keyof NetSysctls>(['netdevBudget', 'netdevBudgetUsecs', 'devWeight', 'devTxWeight', 'somaxconn', 'tcpReordering', 'ipDefaultTtl']);
/**
 * The integer sysctls with a larger minimum than 0 or 1: net/core/sysctl_net_core.c's
 * proc_dointvec_minmax with extra1 = &min_sndbuf (SOCK_MIN_SNDBUF) for wmem_max and
 * wmem_default, &min_rcvbuf (SOCK_MIN_RCVBUF) for rmem_max and rmem_default.
 */
const MINIMUM: Partial<Readonly<Record<keyof NetSysctls, number>>> = { wmemMax: SOCK_MIN_SNDBUF, wmemDefault: SOCK_MIN_SNDBUF, rmemMax: SOCK_MIN_RCVBUF, rmemDefault: SOCK_MIN_RCVBUF };

/** Per-CPU counters of /proc/net/softnet_stat. */
export interface SoftnetStat {
  /** Packets taken from the backlog. */
  processed: number;
  /** Packets dropped because the backlog was full. */
  dropped: number;
  /** NET_RX runs that ended with work left (budget or time exhausted). */
  timeSqueeze: number;
  /** RPS IPIs this CPU took to process its backlog (received_rps). */
  receivedRps: number;
}

/** A stack's socket tables (`NetStack.socketTables`), read-only views. */
export interface SocketTables {
  /** UDP sockets by local port. */
  readonly udp: ReadonlyMap<number, UdpSocket>;
  /** Listening TCP sockets by port. */
  readonly tcpListeners: ReadonlyMap<number, TcpSocket>;
  /** Established and connecting TCP sockets by 4-tuple key. */
  readonly tcpConns: ReadonlyMap<string, TcpSocket>;
  /** Ports held by TCP sockets (bound or connected), with reference counts. */
  readonly tcpPorts: ReadonlyMap<number, number>;
  /** Ping sockets by echo identifier. */
  readonly ping: ReadonlyMap<number, PingSocket>;
}

/** Options of `createNetStack`. */
export interface NetStackOptions {
  /** Sysctl overrides (defaults: `DEFAULT_SYSCTLS`). */
  readonly sysctl?: Partial<NetSysctls>;
  /**
   * Where the TCP transmit checksum is computed with no checksum offload: `'copy'` folds it
   * into the user copy (plain write; sendfile pays a separate pass, rcar-s4 facts §3), or
   * `'xmit'` pays a separate pass per segment at dev xmit (skb_checksum_help). Default `'copy'`.
   */
  readonly tcpTxChecksum?: 'copy' | 'xmit';
}

/** What IP output did with a packet. */
export type IpXmit = NetXmit | 'no-route' | 'too-big';

/**
 * Which way a packet passed a packet handler: `in` when NET_RX took it from the backlog
 * (`__netif_receive_skb_core`), `out` when the qdisc handed it to the driver
 * (`dev_queue_xmit_nit` from `xmit_one`, which marks the clone `PACKET_OUTGOING`).
 */
export type PacketDirection = 'in' | 'out';

/**
 * A handler on `ptype_all` (`struct packet_type` with `type = htons(ETH_P_ALL)`, the hook
 * af_packet's `packet_rcv` uses for tcpdump): it gets the skb, the device it is received on or
 * sent on, the direction and the context it passes in. It must not change the skb, which goes
 * on to IP or to the driver after it (the kernel hands a handler a clone).
 */
export type PacketHandler = (skb: Skb, dev: NetDevice, direction: PacketDirection, ctx: ExecContext) => void;

/** Options of `NetStack.addPacketHandler`. */
export interface PacketHandlerOptions {
  /** Only this device's packets (`packet_type.dev`, set by af_packet's bind to an ifindex); every device's when absent. */
  readonly dev?: NetDevice;
}

class SoftnetData {
  readonly stat: SoftnetStat = { processed: 0, dropped: 0, timeSqueeze: 0, receivedRps: 0 };
  /** The CPU whose data this is. */
  constructor(readonly cpu: Cpu) {}
  backlog: Skb[] = [];
  backlogHead = 0;
  backlogScheduled = false;
  outputQueue: NetdevQueue[] = [];
  txBatch: NetdevQueue[] = [];
  rxRunStart = -1;
  rxBudget = 0;
  /** Inside net_rx_action (a backlog enqueued from it waits for its end to send the RPS IPIs). */
  inNetRx = false;
  /** Packets ever queued on the backlog (input_queue_tail): RFS notes a flow's last one. */
  inputQueueTail = 0;
  /** Packets ever taken from it (input_queue_head): a flow whose last packet is behind it may move. */
  inputQueueHead = 0;
  /** Other CPUs' backlogs this CPU scheduled by RPS, their IPIs not yet sent (rps_ipi_list). */
  rpsIpiList: SoftnetData[] = [];
  tsqList: TcpSocket[] = [];

  get backlogLen(): number {
    return this.backlog.length - this.backlogHead;
  }

  shiftBacklog(): Skb | undefined {
    if (this.backlogHead >= this.backlog.length) return undefined;
    const skb = this.backlog[this.backlogHead];
    this.backlog[this.backlogHead++] = undefined as unknown as Skb;
    if (this.backlogHead > 256 && this.backlogHead * 2 > this.backlog.length) {
      this.backlog = this.backlog.slice(this.backlogHead);
      this.backlogHead = 0;
    }
    return skb;
  }
}

interface AddrEntry {
  readonly dev: NetDevice;
  readonly addr: Ipv4Addr;
  readonly prefixLen: number;
}

function newSnmp(): SnmpMib {
  return {
    Ip: {
      InReceives: 0,
      InHdrErrors: 0,
      InAddrErrors: 0,
      InUnknownProtos: 0,
      InDelivers: 0,
      OutRequests: 0,
      OutNoRoutes: 0,
      ReasmTimeout: 0,
      ReasmReqds: 0,
      ReasmOKs: 0,
      ReasmFails: 0,
      FragOKs: 0,
      FragFails: 0,
      FragCreates: 0,
      OutTransmits: 0,
      InOctets: 0,
      OutOctets: 0,
      InNoECTPkts: 0,
      InECT1Pkts: 0,
      InECT0Pkts: 0,
      InCEPkts: 0,
    },
    Icmp: { InMsgs: 0, InErrors: 0, InCsumErrors: 0, InDestUnreachs: 0, InEchos: 0, InEchoReps: 0, OutMsgs: 0, OutDestUnreachs: 0, OutEchos: 0, OutEchoReps: 0 },
    Tcp: { ActiveOpens: 0, PassiveOpens: 0, AttemptFails: 0, EstabResets: 0, InSegs: 0, OutSegs: 0, RetransSegs: 0, InErrs: 0, OutRsts: 0, InCsumErrors: 0 },
    Udp: { InDatagrams: 0, NoPorts: 0, InErrors: 0, OutDatagrams: 0, RcvbufErrors: 0, SndbufErrors: 0, InCsumErrors: 0 },
  };
}

function newTcpExt(): TcpExtMib {
  return {
    DelayedACKs: 0,
    DelayedACKLost: 0,
    TCPPureAcks: 0,
    TCPHPAcks: 0,
    TCPFastRetrans: 0,
    TCPSlowStartRetrans: 0,
    TCPTimeouts: 0,
    TCPRenoRecovery: 0,
    TCPCwr: 0,
    TCPRcvQDrop: 0,
    TCPOFOQueue: 0,
    TCPToZeroWindowAdv: 0,
    TCPFromZeroWindowAdv: 0,
    TCPWantZeroWindowAdv: 0,
    TCPWinProbe: 0,
    ListenOverflows: 0,
    ListenDrops: 0,
    EmbryonicRsts: 0,
    TCPAbortOnClose: 0,
    TCPAbortOnTimeout: 0,
    TCPRetransFail: 0,
    TCPSynRetrans: 0,
    TCPOrigDataSent: 0,
    TCPDelivered: 0,
    TCPDeliveredCE: 0,
    TCPOFODrop: 0,
    TCPZeroWindowDrop: 0,
    TCPAbortOnData: 0,
    TCPSpuriousRtxHostQueues: 0,
    TCPTimeoutRehash: 0,
    TCPMemoryPressures: 0,
  };
}

/** ip_rcv_core: count a received packet under its ECN field (IPSTATS_MIB_NOECTPKTS + (tos & INET_ECN_MASK)). */
function ipEcnCount(ip: IpMib, tos: number): void {
  switch (tos & INET_ECN.MASK) {
    case INET_ECN.NOT_ECT:
      ip.InNoECTPkts++;
      break;
    case INET_ECN.ECT_1:
      ip.InECT1Pkts++;
      break;
    case INET_ECN.ECT_0:
      ip.InECT0Pkts++;
      break;
    default:
      ip.InCEPkts++;
  }
}

const stacks = new WeakMap<Host, NetStack>();


/** The IPv4 networking stack of one host (`struct net` + per-CPU softnet data). */
export class NetStack {
  /** Sysctls in force (mutable through `setSysctl`). */
  readonly sysctl: NetSysctls;
  /** rps_cpu_mask: the bits of an RFS entry that hold a CPU (the CPU count rounded up to a power of 2, less 1). */
  readonly rpsCpuMask: number;
  /** The global RFS table (rps_sock_flow_table) of `size` entries, those written so far by bucket: a flow hash's high bits and the CPU its socket was last used on; null while net.core.rps_sock_flow_entries is 0. */
  private sockFlow: { readonly size: number; readonly ents: Map<number, number> } | null = null;
  /** /proc/net/snmp counters. */
  readonly snmp: SnmpMib = newSnmp();
  /** /proc/net/netstat TcpExt counters. */
  readonly tcpExt: TcpExtMib = newTcpExt();
  /** Seed of the software flow hash (hashrnd). */
  readonly hashrnd: number;
  /** TCP transmit checksum placement. */
  readonly tcpTxChecksum: 'copy' | 'xmit';
  /** The ARP neighbour table (arp_tbl). */
  readonly arp: NeighTable;
  /** The stack's RNG (ISNs, ports, hashes), forked from the run's RNG. */
  readonly rng: Rng;
  /** @internal Established and connecting TCP sockets by 4-tuple key. */
  readonly tcpConns = new Map<string, TcpSocket>();
  /** @internal The connection the last TCP segment was for (a demux cache in front of tcpConns). */
  tcpRcvCache: TcpSocket | null = null;
  /** @internal Listening TCP sockets by port. */
  readonly tcpListeners = new Map<number, TcpSocket>();
  /** @internal Ports held by TCP sockets (bound or connected), with reference counts. */
  readonly tcpPorts = new Map<number, number>();
  /** @internal UDP sockets by local port. */
  readonly udpSocks = new Map<number, UdpSocket>();
  /** @internal Ping sockets by echo identifier. */
  readonly pingSocks = new Map<number, PingSocket>();
  private readonly devs = new Map<string, NetDevice>();
  private readonly addrs: AddrEntry[] = [];
  /** Devices whose in_device was destroyed (MTU below IPV4_MIN_MTU): no IPv4 addresses allowed. */
  private readonly noInetDev = new Set<NetDevice>();
  /** Route MTU locks (PMTU exceptions with `fnhe_mtu_locked`) by destination: the device and the expiry (ns). */
  private readonly pmtuLocks = new Map<Ipv4Addr, { readonly dev: NetDevice; readonly expires: number }>();
  private nextIfindex = 1;
  private ipId: number;
  private readonly softnet: SoftnetData[];
  private readonly netTx: Softirq;
  private readonly netRx: Softirq;
  private readonly tsqTasklets: Tasklet[];
  private readonly defrag: IpDefrag;
  private tcpMemPages = 0;
  private tcpPressure = false;
  /** The handlers on ptype_all, replaced (not changed in place) so that one may remove itself while packets are delivered. */
  private ptypeAll: readonly { readonly handler: PacketHandler; readonly dev: NetDevice | null }[] = [];
  /**
   * @internal dev_nit_active: whether any packet handler is installed. The RX and TX paths test
   * only this per packet, so a stack without handlers pays nothing more.
   */
  nitActive = false;

  /** The stack of `host` (use `createNetStack`). */
  constructor(
    readonly host: Host,
    options: NetStackOptions = {},
  ) {
    if (stacks.has(host)) throw new NetError('EEXIST', `host ${host.name} already has a NetStack (one per host)`);
    const tx = options.tcpTxChecksum ?? 'copy';
    if (tx !== 'copy' && tx !== 'xmit') throw new NetError('EINVAL', `tcpTxChecksum "${String(tx)}": allowed 'copy' or 'xmit'`);
    this.tcpTxChecksum = tx;
    this.rpsCpuMask = 2 ** Math.ceil(Math.log2(host.cpus.length)) - 1;
    this.sysctl = { ...DEFAULT_SYSCTLS, tcpMem: tcpMemFromRam(host.profile.memory.ramMiB.value) };
    for (const [k, v] of Object.entries(options.sysctl ?? {})) this.setSysctlKey(k as keyof NetSysctls, v, `sysctl.${k}`);
    this.checkIpfragThresh('sysctl');
    this.rng = host.sim.rng.fork();
    this.hashrnd = this.rng.nextU32();
    this.ipId = this.rng.int(0x10000);
    this.softnet = host.cpus.map((c) => new SoftnetData(c));
    this.netTx = host.openSoftirq('NET_TX', (ctx) => this.netTxAction(ctx));
    this.netRx = host.openSoftirq('NET_RX', (ctx) => this.netRxAction(ctx));
    this.tsqTasklets = host.cpus.map((c) => host.createTasklet(`tsq/${c.id}`, (ctx) => this.tsqAction(ctx)));
    this.defrag = new IpDefrag(this);
    this.arp = new NeighTable(this);
    stacks.set(host, this);
    this.loopback = createLoopback(this);
  }

  /** The loopback device `lo` (ifindex 1, up, 127.0.0.1/8): the route to every local address. */
  readonly loopback: NetDevice;

  /**
   * Every sysctl name this stack has, sorted as `sysctl -a` lists them: the fixed ones of
   * SYSCTL_NAMES, and per device the ARP ones — net.ipv4.neigh.{default,DEV}.* and
   * net.ipv4.conf.{all,default,DEV}.arp_evict_nocarrier.
   */
  sysctlNames(): string[] {
    const devs = this.devices.map((d) => d.name);
    const neigh = ['default', ...devs].flatMap((d) => Object.keys(NEIGH_SYSCTLS).map((n) => `net.ipv4.neigh.${d}.${n}`));
    const conf = ['all', 'default', ...devs].map((d) => `net.ipv4.conf.${d}.arp_evict_nocarrier`);
    return [...Object.keys(SYSCTL_NAMES), ...Object.keys(READ_ONLY_SYSCTLS), ...neigh, ...conf].sort();
  }

  /** A sysctl's value as /proc/sys prints it (arrays tab-separated, booleans 1/0); EINVAL for a name `sysctlNames` does not list. */
  getSysctl(name: string): string {
    const fixed = READ_ONLY_SYSCTLS[name];
    if (fixed !== undefined) return fixed;
    const key = SYSCTL_NAMES[name];
    if (key !== undefined) {
      const v = this.sysctl[key];
      return Array.isArray(v) ? v.join('\t') : typeof v === 'boolean' ? (v ? '1' : '0') : String(v);
    }
    const arp = this.arpSysctl(name);
    if (arp.kind === 'neigh') {
      const p = arp.scope === 'default' ? this.arp.defaults : this.arp.parmsOf(arp.scope);
      return String(Math.floor(p[arp.param.key] / arp.param.scale));
    }
    return this.arp.evictNocarrierOf(arp.scope) ? '1' : '0';
  }

  /** The ARP sysctl `name` names, or EINVAL. */
  private arpSysctl(name: string): { kind: 'neigh'; scope: NetDevice | 'default'; param: NeighSysctl } | { kind: 'evict'; scope: NetDevice | 'all' | 'default' } {
    const unknown = (): NetError => new NetError('EINVAL', `sysctl ${name}: unknown; allowed ${this.sysctlNames().join(', ')}`);
    const dev = (d: string): NetDevice => {
      const found = this.devs.get(d);
      if (found === undefined) throw unknown();
      return found;
    };
    const neigh = /^net\.ipv4\.neigh\.([^.]+)\.(\w+)$/.exec(name);
    if (neigh !== null) {
      const param = NEIGH_SYSCTLS[neigh[2] as string];
      if (param === undefined) throw unknown();
      return { kind: 'neigh', scope: neigh[1] === 'default' ? 'default' : dev(neigh[1] as string), param };
    }
    const conf = /^net\.ipv4\.conf\.([^.]+)\.arp_evict_nocarrier$/.exec(name);
    if (conf === null) throw unknown();
    const scope = conf[1] as string;
    return { kind: 'evict', scope: scope === 'all' || scope === 'default' ? scope : dev(scope) };
  }

  /** Set a sysctl by its /proc/sys name (`net.core.wmem_max`); values as numbers, booleans, arrays or "a b c" strings. */
  setSysctl(name: string, value: number | boolean | string | readonly number[]): void {
    // A 0444 file: not even root may write it.
    if (READ_ONLY_SYSCTLS[name] !== undefined) throw new NetError('EACCES', `${name}: read-only`);
    const key = SYSCTL_NAMES[name];
    if (key === undefined) {
      this.setArpSysctl(name, value);
      return;
    }
    let v: unknown = value;
    if (key === 'tcpCongestionControl' || key === 'defaultQdisc') v = typeof value === 'string' ? value.trim() : value;
    else if (typeof value === 'string') {
      // No number at all (an empty write) is EINVAL, as __do_proc_dointvec answers a write that parsed none.
      const text = value.trim();
      const parts = text === '' ? [] : text.split(/\s+/).map(Number);
      v = parts.length === 1 ? parts[0] : parts;
    }
    if (BOOLS.has(key) && typeof v === 'number') v = v !== 0;
    const prior = this.sysctl[key];
    this.setSysctlKey(key, v as NetSysctls[keyof NetSysctls], name);
    try {
      this.checkIpfragThresh(name);
    } catch (e) {
      this.setSysctlKey(key, prior, name);
      throw e;
    }
  }

  /** An ARP sysctl: a neigh parameter in its /proc unit (an integer in 0..INT_MAX), or arp_evict_nocarrier (0 or 1). */
  private setArpSysctl(name: string, value: number | boolean | string | readonly number[]): void {
    const arp = this.arpSysctl(name);
    const n = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : typeof value === 'boolean' ? Number(value) : value;
    if (arp.kind === 'evict') {
      if (n !== 0 && n !== 1) throw new NetError('EINVAL', `${name} ${showValue(value)}: allowed 0 or 1`);
      this.arp.setEvictNocarrier(arp.scope, n === 1);
      return;
    }
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n * arp.param.scale > 0x7fffffff) throw new NetError('EINVAL', `${name} ${showValue(value)}: allowed an integer in 0..${Math.floor(0x7fffffff / arp.param.scale)}`);
    this.arp.setParm(arp.scope, arp.param.key, n * arp.param.scale);
  }

  /** ipfrag_low_thresh ≤ ipfrag_high_thresh, as their sysctl bounds require; EINVAL naming `label` otherwise. */
  private checkIpfragThresh(label: string): void {
    const { ipfragLowThresh: low, ipfragHighThresh: high } = this.sysctl;
    if (low > high) throw new NetError('EINVAL', `${label}: ipfrag_low_thresh ${low} above ipfrag_high_thresh ${high}: allowed low ≤ high (bytes)`);
  }

  private setSysctlKey(key: keyof NetSysctls, value: NetSysctls[keyof NetSysctls], label: string): void {
    if (!Object.hasOwn(DEFAULT_SYSCTLS, key)) throw new NetError('EINVAL', `${label}: unknown sysctl; allowed ${Object.keys(DEFAULT_SYSCTLS).join(', ')}`);
    const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0x7fffffff;
    if (key === 'tcpCongestionControl') {
      // tcp_set_default_congestion_control: an algorithm the kernel does not have is ENOENT.
      if (typeof value !== 'string' || tcpCongestionOps(value) === null) throw new NetError('ENOENT', `${label} ${showValue(value)}: allowed ${TCP_AVAILABLE_CONGESTION_CONTROL.split(' ').join(', ')}`);
    } else if (key === 'defaultQdisc') {
      // qdisc_set_default: a qdisc the kernel does not have is ENOENT.
      if (typeof value !== 'string' || !(QDISC_KINDS as readonly string[]).includes(value)) throw new NetError('ENOENT', `${label} ${showValue(value)}: allowed ${QDISC_KINDS.join(', ')}`);
    } else if (key === 'rpsSockFlowEntries') {
      // rps_sock_flow_sysctl: up to 1 << 29, rounded up to a power of 2 (what reads back).
      if (!isInt(value) || value > 1 << 29) throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed an integer in 0..${1 << 29} (rounded up to a power of 2)`);
      value = value === 0 ? 0 : 2 ** Math.ceil(Math.log2(value));
      // A new size is a new table, every entry RPS_NO_CPU (an absent one); the same size keeps the entries.
      if (value !== (this.sockFlow?.size ?? 0)) this.sockFlow = value === 0 ? null : { size: value, ents: new Map() };
    } else if (key === 'tcpEcn') {
      // proc_dou8vec_minmax over 0..5; the AccECN modes 3..5 are not modelled.
      if (value !== 0 && value !== 1 && value !== 2) throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed 0 (off), 1 (request and accept) or 2 (accept); AccECN's 3..5 are not modelled`);
    } else if (BOOLS.has(key)) {
      if (typeof value !== 'boolean') throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed true/false (1/0)`);
    } else if (TRIPLES.has(key)) {
      if (!Array.isArray(value) || value.length !== 3 || !value.every(isInt) || !(value[0] <= value[1] && value[1] <= value[2])) {
        throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed three ${key === 'tcpMem' ? 'page counts min ≤ pressure' : 'byte counts min ≤ default'} ≤ max`);
      }
    } else if (PAIRS.has(key)) {
      if (!Array.isArray(value) || value.length !== 2 || !value.every(isInt) || !(1 <= value[0] && value[0] <= value[1] && value[1] <= 65535)) {
        throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed two ports low ≤ high in 1..65535`);
      }
    } else {
      const min = MINIMUM[key] ?? (MIN_ONE.has(key) ? 1 : 0);
      if (!isInt(value) || value < min) throw new NetError('EINVAL', `${label} ${showValue(value)}: allowed an integer ≥ ${min}`);
    }
    (this.sysctl as unknown as Record<string, unknown>)[key] = Array.isArray(value) ? Object.freeze([...value]) : value;
  }

  /** @internal Register a device; returns its ifindex. */
  registerNetdev(dev: NetDevice): number {
    if (this.devs.has(dev.name)) throw new NetError('EEXIST', `${this.host.name}: device ${dev.name} already exists`);
    this.devs.set(dev.name, dev);
    this.arp.addDevice(dev);
    return this.nextIfindex++;
  }

  /** Remove a device and its addresses (unregister_netdev); the device must be down. ENODEV if unknown, EBUSY if up. */
  unregisterNetdev(dev: NetDevice): void {
    if (this.devs.get(dev.name) !== dev) throw new NetError('ENODEV', `${this.host.name}: device ${dev.name} is not registered`);
    if (dev.isUp) throw new NetError('EBUSY', `${this.host.name}: device ${dev.name} is up; close it first`);
    this.devs.delete(dev.name);
    this.noInetDev.delete(dev);
    for (let i = this.addrs.length - 1; i >= 0; i--) if (this.addrs[i]?.dev === dev) this.addrs.splice(i, 1);
  }

  /** The devices of this host, in registration order. */
  get devices(): readonly NetDevice[] {
    return [...this.devs.values()];
  }

  /** The device named `name`; ENODEV if none. */
  device(name: string): NetDevice {
    const d = this.devs.get(name);
    if (d === undefined) throw new NetError('ENODEV', `${this.host.name}: no device ${name} (devices: ${[...this.devs.keys()].join(', ') || 'none'})`);
    return d;
  }

  /**
   * Add an address with its connected route (`ip addr add 10.0.0.1/24 dev ntb0`); EEXIST if
   * present, ENOBUFS while the device has no IPv4 (MTU below 68: no in_device, as
   * `inet_rtm_newaddr` answers).
   */
  ipAddrAdd(dev: NetDevice, prefix: string): void {
    if (this.devs.get(dev.name) !== dev) throw new NetError('ENODEV', `${this.host.name}: device ${dev.name} is not registered on this stack`);
    if (this.noInetDev.has(dev)) throw new NetError('ENOBUFS', `${this.host.name}: ${dev.name} has no IPv4 (MTU ${dev.mtu} < ${IPV4_MIN_MTU})`);
    const p = parseIpv4Prefix(prefix);
    if (this.addrs.some((a) => a.addr === p.addr)) throw new NetError('EEXIST', `${this.host.name}: address ${formatIpv4(p.addr)} already assigned`);
    this.addrs.push({ dev, addr: p.addr, prefixLen: p.prefixLen });
  }

  /** Remove an address (`ip addr del`); ENOENT if absent. */
  ipAddrDel(dev: NetDevice, prefix: string): void {
    const p = parseIpv4Prefix(prefix);
    const i = this.addrs.findIndex((a) => a.dev === dev && a.addr === p.addr);
    if (i < 0) throw new NetError('EINVAL', `${this.host.name}: ${prefix} is not an address of ${dev.name}`);
    this.addrs.splice(i, 1);
  }

  /** The addresses of `dev` as `a.b.c.d/len`. */
  addressesOf(dev: NetDevice): string[] {
    return this.addrs.filter((a) => a.dev === dev).map((a) => `${formatIpv4(a.addr)}/${a.prefixLen}`);
  }

  /** Whether `addr` is local: one of this host's addresses, or in 127.0.0.0/8 while `lo` is up (the local routing table). */
  isLocalAddr(addr: Ipv4Addr): boolean {
    return this.isOwnAddr(addr) || ((addr >>> 24) === 127 && this.loopback.isUp);
  }

  private isOwnAddr(addr: Ipv4Addr): boolean {
    return this.addrs.some((a) => a.addr === addr);
  }

  /**
   * inet_select_addr (scope link): the address of `dev` to speak from toward `dst` — one whose
   * subnet holds `dst`, else the device's first — else the first address of another device;
   * host-scope (127/8) addresses never, or null when there is none.
   */
  selectAddr(dev: NetDevice, dst: Ipv4Addr): Ipv4Addr | null {
    let first: Ipv4Addr | null = null;
    for (const a of this.addrs) {
      if (a.dev !== dev || a.addr >>> 24 === 127) continue;
      const m = prefixMask(a.prefixLen);
      if (((a.addr & m) >>> 0) === ((dst & m) >>> 0)) return a.addr;
      first ??= a.addr;
    }
    return first ?? this.addrs.find((a) => a.addr >>> 24 !== 127)?.addr ?? null;
  }

  /**
   * Whether `dst` is a broadcast address (an RTN_BROADCAST route of the local table): the limited
   * broadcast 255.255.255.255, or the all-ones host part of an address on an up device whose
   * prefix is shorter than /31, as fib_add_ifaddr adds it.
   */
  isBroadcast(dst: Ipv4Addr): boolean {
    if (dst === 0xffffffff) return true;
    return this.addrs.some((a) => a.dev.isUp && a.prefixLen < 31 && ((a.addr | ~prefixMask(a.prefixLen)) >>> 0) === dst);
  }

  /**
   * The route to `dst`: a local address through `lo` (the local table first; source the address
   * itself, 127.0.0.1 for the rest of 127/8), else the device and source address of the longest
   * matching connected prefix on an up device, or null. With `oif` (a socket's SO_BINDTODEVICE,
   * `flowi4_oif`) only the routes through `oif` count, as `fib_lookup_good_nhc` has it: a local
   * address whose local route is `oif`'s (the device holding it; `lo` for 127/8), a connected
   * prefix of `oif`; failing those, ip_route_output_key_hash_rcu assumes the destination is on
   * link: through `oif`, from inet_select_addr(oif, 0, RT_SCOPE_LINK). Null when `oif` is down or
   * has no IPv4 (ENETUNREACH).
   */
  route(dst: Ipv4Addr, oif: NetDevice | null = null): { readonly dev: NetDevice; readonly src: Ipv4Addr } | null {
    if (oif !== null) return this.routeOif(dst, oif);
    if (this.loopback.isUp) {
      if (this.isOwnAddr(dst)) return { dev: this.loopback, src: dst };
      if (dst >>> 24 === 127) return { dev: this.loopback, src: LOOPBACK_ADDR };
    }
    let best: AddrEntry | null = null;
    for (const a of this.addrs) {
      if (!a.dev.isUp || a.addr === dst) continue;
      const m = prefixMask(a.prefixLen);
      if (((a.addr & m) >>> 0) === ((dst & m) >>> 0) && (best === null || a.prefixLen > best.prefixLen)) best = a;
    }
    return best === null ? null : { dev: best.dev, src: best.addr };
  }

  /** `route` restricted to the device `oif`. */
  private routeOif(dst: Ipv4Addr, oif: NetDevice): { readonly dev: NetDevice; readonly src: Ipv4Addr } | null {
    if (!oif.isUp || this.noInetDev.has(oif)) return null;
    if (this.loopback.isUp) {
      const own = this.addrs.find((a) => a.addr === dst);
      if (own !== undefined ? own.dev === oif : dst >>> 24 === 127 && oif === this.loopback) return { dev: this.loopback, src: own === undefined ? LOOPBACK_ADDR : dst };
    }
    let best: AddrEntry | null = null;
    for (const a of this.addrs) {
      if (a.dev !== oif || a.addr === dst) continue;
      const m = prefixMask(a.prefixLen);
      if (((a.addr & m) >>> 0) === ((dst & m) >>> 0) && (best === null || a.prefixLen > best.prefixLen)) best = a;
    }
    if (best !== null) return { dev: oif, src: best.addr };
    const src = this.selectAddr(oif, 0);
    return src === null ? null : { dev: oif, src };
  }

  /** A new TCP socket (socket(AF_INET, SOCK_STREAM)). */
  tcpSocket(): TcpSocket {
    return new TcpSocket(this);
  }

  /** A new UDP socket (socket(AF_INET, SOCK_DGRAM)). */
  udpSocket(): UdpSocket {
    return new UdpSocket(this);
  }

  /** A new ICMP echo socket (socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP), net/ipv4/ping.c). */
  pingSocket(): PingSocket {
    return new PingSocket(this);
  }

  /** Per-CPU /proc/net/softnet_stat counters (copies). */
  softnetStat(): SoftnetStat[] {
    return this.softnet.map((s) => ({ ...s.stat }));
  }

  /** Packets waiting in CPU `cpu`'s backlog. */
  backlogLength(cpu: number): number {
    return this.softnet[cpu]?.backlogLen ?? 0;
  }

  /** @internal Packets ever taken from CPU `cpu`'s backlog (input_queue_head). */
  inputQueueHead(cpu: number): number {
    return this.softnet[cpu]?.inputQueueHead ?? 0;
  }

  /** @internal sock_rps_record_flow_hash: flow `hash` was last read or written on `cpu` (an established socket's recvmsg or sendmsg); nothing while RFS is off or the hash is 0. */
  rpsRecordFlow(hash: number, cpu: Cpu): void {
    const t = this.sockFlow;
    if (t === null || hash === 0) return;
    t.ents.set((hash & (t.size - 1)) >>> 0, ((hash & ~this.rpsCpuMask) | cpu.id) >>> 0);
  }

  /** @internal The CPU the RFS table names for flow `hash` (its entry's CPU bits when the entry is that flow's), or -1. */
  rpsDesiredCpu(hash: number): number {
    const t = this.sockFlow;
    if (t === null) return -1;
    const ident = t.ents.get((hash & (t.size - 1)) >>> 0) ?? RPS_NO_CPU;
    return ((ident ^ hash) & ~this.rpsCpuMask) !== 0 ? -1 : ident & this.rpsCpuMask;
  }

  /** Current number of ESTABLISHED + CLOSE_WAIT TCP connections (Tcp CurrEstab). */
  get tcpCurrEstab(): number {
    let n = 0;
    for (const s of this.tcpConns.values()) if (s.state === 'ESTABLISHED' || s.state === 'CLOSE_WAIT') n++;
    return n;
  }

  /** TCP memory of the host (pages): the send and receive memory of all its TCP sockets, each rounded up to pages (tcp_memory_allocated, /proc/net/sockstat `TCP: … mem`). */
  get tcpMemoryAllocated(): number {
    return this.tcpMemPages;
  }

  /** Whether TCP is under memory pressure (tcp_memory_pressure): entered above tcp_mem[1], left below tcp_mem[0]. */
  get tcpMemoryPressure(): boolean {
    return this.tcpPressure;
  }

  /** @internal A socket's memory changed by `deltaPages` (sk_memory_allocated_add/sub); a release below tcp_mem[0] leaves pressure (__sk_mem_reduce_allocated). */
  tcpMemCharge(deltaPages: number): void {
    this.tcpMemPages += deltaPages;
    if (deltaPages < 0 && this.tcpPressure && this.tcpMemPages < this.sysctl.tcpMem[0]) this.tcpPressure = false;
  }

  /** @internal tcp_enter_memory_pressure (TCPMemoryPressures) or tcp_leave_memory_pressure. */
  setTcpMemoryPressure(on: boolean): void {
    if (on && !this.tcpPressure) this.tcpExt.TCPMemoryPressures++;
    this.tcpPressure = on;
  }

  /** @internal A free local port from ip_local_port_range (random start, linear probe); EADDRINUSE when exhausted. */
  allocPort(inUse: (port: number) => boolean): number {
    const [lo, hi] = this.sysctl.ipLocalPortRange;
    const n = hi - lo + 1;
    const start = this.rng.int(n);
    for (let i = 0; i < n; i++) {
      const p = lo + ((start + i) % n);
      if (!inUse(p)) return p;
    }
    throw new NetError('EADDRINUSE', `${this.host.name}: no free port in ${lo}..${hi}`);
  }

  /** @internal Next IP identification value. */
  nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }

  /**
   * @internal IP output (`ip_queue_xmit` / `ip_local_out` → `ip_finish_output2`): route (through
   * `oif` only, for a socket bound to a device), MTU check, Ethernet header (`neigh_output`), then `dev_queue_xmit`. A packet over the MTU
   * with DF fails ('too-big', FragFails); without DF it is fragmented (`ip_do_fragment`): each
   * fragment after the first pays an skb allocation and the per-packet transmit cost here, and
   * goes to `dev_queue_xmit` in turn; a fragment the device queue does not take (drop or CN)
   * ends the datagram (FragFails) and its result is returned.
   */
  ipOutput(skb: Skb, ctx: ExecContext, oif: NetDevice | null = null): IpXmit {
    const r = this.route(skb.ip.dst, oif);
    if (r === null) {
      this.snmp.Ip.OutNoRoutes++;
      skb.free(ctx);
      return 'no-route';
    }
    const dev = r.dev;
    if (skb.networkLen > dev.mtu && skb.ip.df) {
      this.snmp.Ip.FragFails++;
      if (skb.l4.kind === 'tcp') this.icmpFragNeededLocal(skb, dev.mtu, ctx);
      skb.free(ctx);
      return 'too-big';
    }
    skb.ip.id = this.nextIpId();
    this.snmp.Ip.OutRequests++;
    if (skb.networkLen > dev.mtu) return this.ipFragmentOutput(skb, dev, ctx);
    return this.neighOutput(skb, dev, ctx);
  }

  /**
   * ip_fragment's `icmp_send(ICMP_FRAG_NEEDED)` for a TCP segment of this host refused for DF:
   * the error goes back to the local sender (through lo, so no ICMP rate limit applies;
   * counted in Icmp OutMsgs/OutDestUnreachs and InMsgs/InDestUnreachs) and `icmp_unreach` hands the MTU to `tcp_v4_err` of
   * the connection.
   */
  private icmpFragNeededLocal(skb: Skb, mtu: number, ctx: ExecContext): void {
    const h = skb.l4;
    if (h.kind !== 'tcp') return;
    this.countLocalUnreach();
    this.tcpConns.get(tcpConnKey(skb.ip.src, h.sport, skb.ip.dst, h.dport))?.icmpFragNeeded(h.seq, mtu, ctx);
  }

  /** An ICMP destination unreachable sent to and received by this host through lo. */
  private countLocalUnreach(): void {
    const icmp = this.snmp.Icmp;
    icmp.OutMsgs++;
    icmp.OutDestUnreachs++;
    icmp.InMsgs++;
    icmp.InDestUnreachs++;
  }

  /**
   * @internal arp_error_report → ipv4_link_failure → `icmp_send(ICMP_DEST_UNREACH,
   * ICMP_HOST_UNREACH)` for a packet of this host whose next hop did not resolve: the error goes
   * back through lo to its sender (no error for a non-first fragment, as icmp_send sends none)
   * — a connecting TCP socket fails with EHOSTUNREACH, a synchronized one keeps it as its soft
   * error and takes a step back in its RTO backoff (RFC 6069), a ping socket queues it on its error queue (ping's IP_RECVERR), a UDP socket without
   * IP_RECVERR ignores it (not a hard error).
   */
  icmpHostUnreachLocal(skb: Skb, ctx: ExecContext): void {
    const h = skb.l4;
    if ((skb.ip.fragOff ?? 0) > 0 || h.kind === 'frag' || h.kind === 'arp' || !this.isLocalAddr(skb.ip.src)) return;
    this.countLocalUnreach();
    if (h.kind === 'tcp') this.tcpConns.get(tcpConnKey(skb.ip.src, h.sport, skb.ip.dst, h.dport))?.icmpUnreach(h.seq, 'EHOSTUNREACH', ctx);
    else if (h.kind === 'icmp' && h.type === 8) this.pingSocks.get(h.id)?.queueError({ from: skb.ip.src, seq: h.seq, type: 3, code: 1 });
  }

  /**
   * @internal `__ip_rt_update_pmtu` for a path MTU of `mtu` reported toward `daddr` at `now`
   * (ns): below `ip_rt_min_pmtu` (552) the route's MTU is locked (`fnhe_mtu_locked`) for
   * `ip_rt_mtu_expires` (10 min), so IP_PMTUDISC_WANT sockets stop setting DF on it. The
   * exception's MTU itself is the device MTU (the only MTU a path has here), so it is not kept.
   */
  ipRtUpdatePmtu(daddr: Ipv4Addr, mtu: number, now: number): void {
    const r = this.route(daddr);
    if (r === null || this.ipMtuLocked(daddr, now) || r.dev.mtu < mtu || mtu >= IP_RT_MIN_PMTU) return;
    this.pmtuLocks.set(daddr, { dev: r.dev, expires: now + IP_RT_MTU_EXPIRES_NS });
  }

  /** @internal `ip_mtu_locked` of the route to `daddr` at `now` (ns). */
  ipMtuLocked(daddr: Ipv4Addr, now: number): boolean {
    // Asked for every TCP segment built: no lookup while no route MTU is locked.
    if (this.pmtuLocks.size === 0) return false;
    const e = this.pmtuLocks.get(daddr);
    if (e === undefined) return false;
    if (now < e.expires) return true;
    this.pmtuLocks.delete(daddr);
    return false;
  }

  /**
   * ip_finish_output2 → neigh_output: count the packet in OutTransmits, start its Ethernet header
   * and send it through the ARP table (`NeighTable.output`) toward its destination, the next hop
   * of a connected route (through lo, a NOARP entry with lo's own address).
   */
  private neighOutput(skb: Skb, dev: NetDevice, ctx: ExecContext): NetXmit {
    this.snmp.Ip.OutTransmits++;
    this.snmp.Ip.OutOctets += skb.networkLen;
    skb.dev = dev;
    skb.macLen = ETH_HLEN;
    skb.ethSrc = dev.devAddr;
    return this.arp.output(skb, dev, skb.ip.dst, ctx);
  }

  /** ip_do_fragment: send `skb`'s fragments one by one (FragCreates each, FragOKs at the end). */
  private ipFragmentOutput(skb: Skb, dev: NetDevice, ctx: ExecContext): NetXmit {
    const mib = this.snmp.Ip;
    const frags = ipFragment(skb, dev.mtu);
    const costs = ctx.host.costs;
    let rc: NetXmit = 'success';
    let i = 0;
    for (; i < frags.length; i++) {
      const f = frags[i] as Skb;
      if (i > 0) ctx.charge(costs.skbAlloc() + costs.txPacket());
      rc = this.neighOutput(f, dev, ctx);
      if (rc !== 'success') break;
      mib.FragCreates++;
    }
    if (rc === 'success') mib.FragOKs++;
    else {
      mib.FragFails++;
      for (let j = i + 1; j < frags.length; j++) (frags[j] as Skb).free(ctx);
    }
    skb.free(ctx);
    return rc;
  }

  /** The socket tables as inet_diag walks them (`ss`): UDP sockets by local port, TCP listeners by port, established and connecting TCP sockets by 4-tuple, TCP port reference counts, ping sockets by echo id; views, not copies. */
  socketTables(): SocketTables {
    return { udp: this.udpSocks, tcpListeners: this.tcpListeners, tcpConns: this.tcpConns, tcpPorts: this.tcpPorts, ping: this.pingSocks };
  }

  /** Reassembly state: datagrams in progress (/proc/net/sockstat `FRAG: inuse N memory M`, memory in bytes). */
  ipFragStat(): { readonly inuse: number; readonly memory: number } {
    return { inuse: this.defrag.count, memory: this.defrag.mem };
  }

  /**
   * NETDEV_CHANGEMTU (inetdev_event), for a driver that sets `dev.mtu` itself (at probe, as
   * NETDEV_REGISTER sees it; `setMtu` calls it): an MTU below IPV4_MIN_MTU destroys the device's
   * in_device with all its IPv4 addresses and routes; an MTU of 68 or more on such a device
   * creates an empty one again (the addresses do not come back). Route MTU locks through the
   * device are dropped (`fib_sync_mtu` unlocks an exception when the MTU falls to or below it;
   * one the MTU grows past stays locked in Linux until it expires).
   */
  onMtuChange(dev: NetDevice): void {
    for (const [daddr, e] of this.pmtuLocks) if (e.dev === dev) this.pmtuLocks.delete(daddr);
    if (dev.mtu < IPV4_MIN_MTU) {
      this.noInetDev.add(dev);
      for (let i = this.addrs.length - 1; i >= 0; i--) if (this.addrs[i]?.dev === dev) this.addrs.splice(i, 1);
    } else {
      this.noInetDev.delete(dev);
    }
  }

  /** @internal A device changed state or MTU (netdevice notifier). */
  onDeviceChange(dev: NetDevice): void {
    for (const s of this.tcpConns.values()) s.onDeviceChange(dev);
  }

  /** @internal Queue a TX queue's qdisc on `cpu`'s NET_TX output queue (__netif_schedule). */
  netifSchedule(txq: NetdevQueue, cpu: Cpu): void {
    const q = txq.qdisc;
    if (q.scheduled) return;
    q.scheduled = true;
    (this.softnet[cpu.id] as SoftnetData).outputQueue.push(txq);
    this.netTx.raise(cpu);
  }

  /**
   * Add a tap that sees every packet this stack takes from its RX backlog, before IP
   * validation, as an `ETH_P_ALL` packet handler (dev_add_pack on ptype_all: what tcpdump
   * uses) sees it in __netif_receive_skb_core; the tap must not change the skb. Returns the
   * function that removes it (dev_remove_pack). The received half of `addPacketHandler`.
   */
  addPacketTap(tap: (skb: Skb) => void): () => void {
    return this.addPacketHandler((skb, _dev, direction) => {
      if (direction === 'in') tap(skb);
    });
  }

  /**
   * Install a packet handler (`dev_add_pack` of an `ETH_P_ALL` `packet_type`, as af_packet does
   * for tcpdump): it sees each packet sent on a device of this stack when the qdisc hands it to
   * the driver (`dev_queue_xmit_nit`, called by `xmit_one` before `ndo_start_xmit`, so a packet
   * the driver refuses with NETDEV_TX_BUSY is seen again when it is retried), and each packet
   * received when NET_RX takes it from the backlog (`__netif_receive_skb_core`, before IP);
   * with `options.dev`, only that device's (`packet_type.dev`). Handlers run in the order
   * installed. Returns the function that removes it (`dev_remove_pack`); a handler may remove
   * itself (or another) while a packet is delivered.
   */
  addPacketHandler(handler: PacketHandler, options: PacketHandlerOptions = {}): () => void {
    const entry = { handler, dev: options.dev ?? null };
    this.ptypeAll = [...this.ptypeAll, entry];
    this.nitActive = true;
    return () => {
      this.ptypeAll = this.ptypeAll.filter((e) => e !== entry);
      this.nitActive = this.ptypeAll.length > 0;
    };
  }

  /** @internal Deliver `skb` to the ptype_all handlers of `dev` (dev_queue_xmit_nit for `out`, the ptype_all walk of __netif_receive_skb_core for `in`). */
  deliverNit(skb: Skb, dev: NetDevice, direction: PacketDirection, ctx: ExecContext): void {
    for (const e of this.ptypeAll) if (e.dev === null || e.dev === dev) e.handler(skb, dev, direction, ctx);
  }

  /**
   * @internal enqueue_to_backlog on `cpu` (netif_rx: the current CPU, or the one RPS chose); an
   * RFS `flow` notes the packet's place in that backlog (last_qtail). Scheduling another CPU's
   * backlog (napi_schedule_rps) puts it on this CPU's rps_ipi_list and raises NET_RX here unless
   * net_rx_action is running, whose end sends the IPIs.
   */
  enqueueBacklog(skb: Skb, ctx: ExecContext, cpu: Cpu = ctx.cpu, flow: RpsDevFlow | null = null): NetRx {
    const sd = this.softnet[cpu.id] as SoftnetData;
    if (skb.sk !== null) skb.orphan(ctx);
    if (sd.backlogLen > this.sysctl.netdevMaxBacklog) {
      sd.stat.dropped++;
      if (skb.dev !== null) skb.dev.stats.rxDropped++;
      skb.free(ctx);
      return 'drop';
    }
    sd.backlog.push(skb);
    sd.inputQueueTail++;
    if (flow !== null) flow.lastQtail = sd.inputQueueTail;
    if (!sd.backlogScheduled) {
      sd.backlogScheduled = true;
      const mysd = this.softnet[ctx.cpu.id] as SoftnetData;
      if (sd === mysd) {
        this.netRx.raise(ctx.cpu);
      } else {
        mysd.rpsIpiList.push(sd);
        if (!mysd.inNetRx) this.netRx.raise(ctx.cpu);
      }
    }
    return 'success';
  }

  /** net_rps_send_ipi: at the end of a net_rx_action run, a function call IPI to each CPU whose backlog RPS scheduled from here; its handler (rps_trigger_softirq) raises NET_RX there. */
  private rpsSendIpis(sd: SoftnetData, ctx: ExecContext): void {
    const list = sd.rpsIpiList;
    if (list.length === 0) return;
    sd.rpsIpiList = [];
    for (const remote of list) {
      this.host.callFunctionSingle(ctx, remote.cpu, (c) => {
        remote.stat.receivedRps++;
        this.netRx.raise(c.cpu);
      });
    }
  }

  /** @internal Schedule TCP small-queue work for `sock` on `on` (tcp_wfree → tsq tasklet). */
  tsqSchedule(sock: TcpSocket, on: Cpu | ExecContext): void {
    const cpu = cpuOf(on);
    (this.softnet[cpu.id] as SoftnetData).tsqList.push(sock);
    (this.tsqTasklets[cpu.id] as Tasklet).schedule(cpu);
  }

  private netTxAction(ctx: ExecContext): boolean {
    const sd = this.softnet[ctx.cpu.id] as SoftnetData;
    if (sd.txBatch.length === 0) {
      sd.txBatch = sd.outputQueue;
      sd.outputQueue = [];
    }
    const txq = sd.txBatch.shift();
    if (txq !== undefined) {
      txq.qdisc.scheduled = false;
      qdiscRun(txq, ctx);
    }
    return sd.txBatch.length > 0;
  }

  private netRxAction(ctx: ExecContext): boolean {
    const sd = this.softnet[ctx.cpu.id] as SoftnetData;
    if (sd.rxRunStart < 0) {
      sd.rxRunStart = ctx.start;
      sd.rxBudget = this.sysctl.netdevBudget;
    }
    sd.inNetRx = true;
    const skb = sd.shiftBacklog();
    if (skb !== undefined) {
      sd.inputQueueHead++;
      sd.stat.processed++;
      sd.rxBudget--;
      if (this.nitActive && skb.dev !== null) this.deliverNit(skb, skb.dev, 'in', ctx);
      if (skb.l4.kind === 'arp') this.arp.rcv(skb, ctx);
      else this.ipRcv(skb, ctx);
    }
    sd.inNetRx = false;
    if (sd.backlogLen === 0) {
      sd.backlogScheduled = false;
      sd.rxRunStart = -1;
      this.rpsSendIpis(sd, ctx);
      return false;
    }
    if (sd.rxBudget <= 0 || ctx.time - sd.rxRunStart >= this.sysctl.netdevBudgetUsecs * 1000) {
      sd.stat.timeSqueeze++;
      sd.rxRunStart = -1;
      this.netRx.raise(ctx.cpu);
      this.rpsSendIpis(sd, ctx);
      return false;
    }
    return true;
  }

  private tsqAction(ctx: ExecContext): boolean {
    const sd = this.softnet[ctx.cpu.id] as SoftnetData;
    const sock = sd.tsqList.shift();
    if (sock !== undefined) sock.tsqHandler(ctx);
    return sd.tsqList.length > 0;
  }

  /**
   * ip_rcv + ip_local_deliver: drop a frame sent to another host's MAC (rx_otherhost_dropped),
   * validate the destination, reassemble
   * fragments (ip_defrag), demultiplex. A fragment that does not complete its datagram pays the
   * per-packet receive cost here; the one that does goes on to TCP, UDP or ICMP, which charge it.
   */
  private ipRcv(frame: Skb, ctx: ExecContext): void {
    if (frame.pktType === 'otherhost') {
      if (frame.dev !== null) frame.dev.stats.rxOtherhostDropped++;
      frame.free(ctx);
      return;
    }
    const ip = this.snmp.Ip;
    ip.InReceives++;
    ipEcnCount(ip, frame.ip.tos);
    if (frame.macLen !== 0) frame.macLen = 0;
    ip.InOctets += frame.networkLen;
    if (!this.isLocalAddr(frame.ip.dst)) {
      this.snmp.Ip.InAddrErrors++;
      frame.free(ctx);
      return;
    }
    let skb = frame;
    if (ipIsFragment(frame.ip)) {
      const whole = this.defrag.defrag(frame, ctx);
      if (whole === null) {
        ctx.charge(ctx.host.costs.rxPacket());
        return;
      }
      skb = whole;
    }
    switch (skb.ip.protocol) {
      case IPPROTO.TCP:
        this.snmp.Ip.InDelivers++;
        tcpV4Rcv(this, skb, ctx);
        return;
      case IPPROTO.UDP:
        this.snmp.Ip.InDelivers++;
        udpRcv(this, skb, ctx);
        return;
      case IPPROTO.ICMP:
        this.snmp.Ip.InDelivers++;
        icmpRcv(this, skb, ctx);
        return;
      default:
        this.snmp.Ip.InUnknownProtos++;
        skb.free(ctx);
    }
  }
}

/** Create the IPv4 stack of `host` (one per host; EEXIST for a second). */
export function createNetStack(host: Host, options: NetStackOptions = {}): NetStack {
  return new NetStack(host, options);
}

/** The stack of `host`, or null if none was created. */
export function netStackOf(host: Host): NetStack | null {
  return stacks.get(host) ?? null;
}
