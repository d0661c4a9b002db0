/**
 * The network device (`struct net_device`, net/core/dev.c): name, MTU with its range, the TX
 * and RX queue counts, per-TX-queue state (driver XOFF, qdisc, XPS maps), carrier, admin
 * state and the `rtnl_link_stats64` counters. A driver allocates one with `createNetDevice`
 * (alloc_etherdev_mqs + register_netdev) and implements `NetDeviceOps`.
 *
 * Features (`features`, `hw_features`, `wanted_features`): a driver passes what it sets before
 * registering; the constructor adds what `register_netdevice` adds and `updateFeatures` is
 * `__netdev_update_features`. The model's transmit and receive paths do not consult them: they
 * are what ethtool shows and changes (see the README for which ones would matter).
 *
 * Qdiscs (net/sched/sch_generic.c attach_default_qdiscs, sch_api.c qdisc_graft): the root is the
 * builtin noop until the first open, which attaches the defaults of net.core.default_qdisc —
 * noqueue on an IFF_NO_QUEUE device, one default qdisc on a single-queue device, mq over one
 * per TX queue otherwise. `replaceQdisc` grafts another at the root (shared by every TX queue
 * of a multiqueue device: its run checks each packet's own queue, TCQ_F_ONETXQUEUE off) or at
 * an mq class, `graftMq` a new mq with a handle (sch_mq.c mq_init, mq_attach), and
 * `deleteMqChild` leaves noop on an mq class; every graft resets the qdiscs of all TX queues
 * (dev_deactivate: their packets freed). `mqChildren` is the device's qdisc hash as tc dumps it.
 *
 * Link state: while the device is down or has no carrier its qdiscs are deactivated (the
 * noop qdisc of `dev_deactivate`): queued packets are purged and new ones dropped. The
 * carrier change takes effect at once (linkwatch runs carrier events urgently).
 */
import type { Cpu, ExecContext, Host, Rng } from '@ntbsim/kernel';
import { NetError, netErrnoName, netErrnoValue } from './errors.js';
import { netdevFixFeatures, registerNetdevFeatures } from './features.js';
import { ETH_ALEN, ETH_HLEN } from './inet.js';
import { FqCodel, type FqCodelParams } from './sched/fqCodel.js';
import { NoopQdisc, PfifoFast, QDISC_KINDS, type Qdisc, type QdiscKind } from './sched/qdisc.js';
import type { Skb } from './skb.js';
import type { NetStack } from './netStack.js';
import type { LinkChangeFn, NetDeviceOps, NetDevStats, RxQueueSteering } from './types.js';

/** ETH_MIN_MTU (bytes). */
export const ETH_MIN_MTU = 68;
/** ETH_DATA_LEN: the default Ethernet MTU (bytes). */
export const ETH_DATA_LEN = 1500;
/** ETH_MAX_MTU (bytes). */
export const ETH_MAX_MTU = 0xffff;
/** Default txqueuelen (DEFAULT_TX_QUEUE_LEN, packets). */
export const DEFAULT_TX_QUEUE_LEN = 1000;

/** One TX queue (`struct netdev_queue`). */
export class NetdevQueue {
  /** Stopped by the driver (__QUEUE_STATE_DRV_XOFF). */
  stopped = false;
  /** Its qdisc (dev_queue->qdisc_sleeping): noop before the first open, then an mq child (noop again once tc deleted it) or the device's root. */
  qdisc: Qdisc;
  /** XPS CPU mask (bit i = CPU i; 0 = none), /sys/class/net/DEV/queues/tx-N/xps_cpus. */
  xpsCpus = 0;
  /** XPS RX-queue mask (bit i = RX queue i; 0 = none), …/tx-N/xps_rxqs. */
  xpsRxqs = 0;
  /** Times the driver stopped it. */
  stops = 0;
  /** Times it was woken. */
  wakes = 0;

  /** TX queue `index` of `dev`. */
  constructor(
    readonly dev: NetDevice,
    readonly index: number,
  ) {
    // dev_queue->qdisc_sleeping is the builtin noop until the first open attaches the defaults.
    this.qdisc = new NoopQdisc();
  }
}

/** What sits at a device's root (dev->qdisc) as `tc` and `ip link` name it. */
export type RootQdiscKind = 'noop' | 'noqueue' | 'mq' | QdiscKind;

/** Where `replaceQdisc` grafts: the root, or the mq class of TX queue `txq` (`parent H:txq+1`). */
export type QdiscParent = { readonly root: true } | { readonly txq: number };

/** A qdisc hashed under the mq root (`mqChildren`): the one of TX queue `txq`, mq class `txq + 1`. */
export interface MqChild {
  /** Its TX queue (the mq class minus one). */
  readonly txq: number;
  /** The qdisc. */
  readonly qdisc: Qdisc;
}

/** Buckets of dev->qdisc_hash (DECLARE_HASHTABLE(qdisc_hash, 4)). */
const QDISC_HASH_BITS = 4;

/** hash_32(handle, QDISC_HASH_BITS): the qdisc_hash bucket of a handle (GOLDEN_RATIO_32 multiply, top bits). */
function qdiscHashBucket(handle: number): number {
  return Math.imul(handle, 0x61c88647) >>> (32 - QDISC_HASH_BITS);
}

/** Options of `createNetDevice` (alloc_etherdev_mqs + register_netdev). */
export interface NetDeviceOptions {
  /** Interface name, e.g. `ntb0`. */
  readonly name: string;
  /** The driver's operations. */
  readonly ops: NetDeviceOps;
  /** TX queues allocated (num_tx_queues, 1..4096). Default 1. */
  readonly numTxQueues?: number;
  /** RX queues allocated (num_rx_queues). Default `numTxQueues`. */
  readonly numRxQueues?: number;
  /** Initial MTU (bytes). Default 1500. */
  readonly mtu?: number;
  /** Smallest MTU (bytes). Default 68. */
  readonly minMtu?: number;
  /** Largest MTU (bytes), 0 for no limit below INT_MAX (the loopback's unset max_mtu). Default 1500 (ether_setup); ntb_netdev sets 65535. */
  readonly maxMtu?: number;
  /** Qdisc limit (packets). Default 1000. */
  readonly txqueuelen?: number;
  /**
   * MAC address (6 bytes), the permanent one too (NET_ADDR_PERM: `register_netdevice` copies it to
   * perm_addr). Default: random locally administered (eth_hw_addr_random: NET_ADDR_RANDOM, no
   * permanent address).
   */
  readonly devAddr?: Uint8Array;
  /** dev->features the driver sets before registering (NETIF_F_* bitmap). Default none. */
  readonly features?: bigint;
  /** dev->hw_features the driver sets before registering: what the user may change. Default none. */
  readonly hwFeatures?: bigint;
  /** The driver's ethtool_ops object (contract defined by @ntbsim/ethtool-ops). */
  readonly ethtoolOps?: unknown;
  /** IFF_NO_QUEUE: no qdisc (`noqueue`), `dev_queue_xmit` calls the driver directly. Default false. */
  readonly noQueue?: boolean;
  /** IFF_LOOPBACK (the `lo` device). Default false. */
  readonly loopback?: boolean;
  /** The device's parent (SET_NETDEV_DEV). Default none. */
  readonly parent?: NetDeviceParent;
  /** tso_max_size (bytes): netif_set_tso_max_size. Default TSO_LEGACY_MAX_SIZE (65536); lo sets GSO_MAX_SIZE. */
  readonly tsoMaxSize?: number;
}

/**
 * The parent of a net device (`dev->dev.parent`, SET_NETDEV_DEV): netdev_printk prefixes a
 * device's messages with its driver and name, rtnetlink reports its name and bus
 * (IFLA_PARENT_DEV_NAME, IFLA_PARENT_DEV_BUS_NAME).
 */
export interface NetDeviceParent {
  /** dev_name(parent), e.g. `ntb_netdev0`. */
  readonly name: string;
  /** parent->bus->name, e.g. `ntb_transport`. */
  readonly bus: string;
  /** dev_driver_string(parent): the driver bound to it, e.g. `ntb_netdev`. */
  readonly driver: string;
}

/** GSO_MAX_SEGS: the largest segment count of a GSO packet (and TSO_MAX_SEGS). */
export const GSO_MAX_SEGS = 65535;
/** GSO_LEGACY_MAX_SIZE (bytes): the default gso_max_size (and TSO_LEGACY_MAX_SIZE, GRO_LEGACY_MAX_SIZE). */
export const GSO_LEGACY_MAX_SIZE = 65536;
/** GSO_MAX_SIZE (bytes): 8 × GSO_MAX_SEGS, the BIG TCP limit lo and tunnels set as their tso_max_size. */
export const GSO_MAX_SIZE = 8 * GSO_MAX_SEGS;
/** INT_MAX: dev_set_mtu takes an int, the limit of a device without max_mtu. */
const INT_MAX = 0x7fffffff;

function newStats(): NetDevStats {
  return {
    rxPackets: 0,
    txPackets: 0,
    rxBytes: 0,
    txBytes: 0,
    rxErrors: 0,
    txErrors: 0,
    rxDropped: 0,
    txDropped: 0,
    multicast: 0,
    collisions: 0,
    rxLengthErrors: 0,
    rxOverErrors: 0,
    rxCrcErrors: 0,
    rxFrameErrors: 0,
    rxFifoErrors: 0,
    rxMissedErrors: 0,
    txAbortedErrors: 0,
    txCarrierErrors: 0,
    txFifoErrors: 0,
    txHeartbeatErrors: 0,
    txWindowErrors: 0,
    rxCompressed: 0,
    txCompressed: 0,
    rxNohandler: 0,
    rxOtherhostDropped: 0,
  };
}

/**
 * eth_random_addr: six bytes from `rng`, the multicast bit cleared and the locally administered
 * bit set.
 */
export function ethRandomAddr(rng: Rng): Uint8Array {
  const addr = Uint8Array.from({ length: ETH_ALEN }, () => rng.int(256));
  addr[0] = ((addr[0] as number) & 0xfe) | 0x02;
  return addr;
}

function checkInt(what: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) throw new NetError('EINVAL', `${what} ${String(v)}: allowed an integer in ${min}..${max}`);
}

/** A network device (`struct net_device`). */
export class NetDevice {
  /** Interface name. */
  readonly name: string;
  /** Interface index (ifindex), from 2 (1 is lo). */
  readonly ifindex: number;
  /** The driver's operations. */
  readonly ops: NetDeviceOps;
  /** The driver's ethtool_ops object, opaque here. */
  ethtoolOps: unknown;
  /** Current MTU (bytes): the largest IP packet. The driver's `changeMtu` sets it, or the core without one. */
  mtu: number;
  /** Smallest MTU (bytes). */
  minMtu: number;
  /** Largest MTU (bytes), 0 when unset (no limit below INT_MAX: lo). */
  maxMtu: number;
  /** The parent device (SET_NETDEV_DEV), null for a software device such as lo. */
  readonly parent: NetDeviceParent | null;
  /** gso_max_size (bytes): the largest GSO packet the stack builds for the device. */
  readonly gsoMaxSize = GSO_LEGACY_MAX_SIZE;
  /** gso_max_segs: the most segments in one GSO packet. */
  readonly gsoMaxSegs = GSO_MAX_SEGS;
  /** tso_max_size (bytes): the largest TSO packet the device takes. */
  readonly tsoMaxSize: number;
  /** tso_max_segs: the most segments in one TSO packet. */
  readonly tsoMaxSegs = GSO_MAX_SEGS;
  /** gro_max_size (bytes): the largest packet GRO builds. */
  readonly groMaxSize = GSO_LEGACY_MAX_SIZE;
  /** Qdisc limit (packets), `ip link set txqueuelen`. */
  txqueuelen: number;
  /** IFF_NO_QUEUE: transmits bypass the qdisc (`noqueue`). */
  readonly noQueue: boolean;
  /** IFF_LOOPBACK. */
  readonly loopback: boolean;
  /** MAC address (6 bytes). */
  readonly devAddr: Uint8Array;
  /** Permanent address (perm_addr, 6 bytes): the address at registration, all zeros when it was random. */
  readonly permAddr: Uint8Array;
  /** What the user may change (hw_features). */
  readonly hwFeatures: bigint;
  /** What the user asked for among `hwFeatures` (wanted_features); `updateFeatures` applies it. */
  wantedFeatures: bigint;
  /** TX queues allocated (num_tx_queues). */
  readonly numTxQueues: number;
  /** RX queues allocated (num_rx_queues). */
  readonly numRxQueues: number;
  /** TX queues in use (real_num_tx_queues). */
  realNumTxQueues: number;
  /** RX queues in use (real_num_rx_queues). */
  realNumRxQueues: number;
  /** Counters (rtnl_link_stats64): drivers update them; the core adds backlog and down-device drops. */
  readonly stats: NetDevStats = newStats();
  /** Packets xmit'd with a queue index ≥ real_num_tx_queues and capped to 0 (netdev_cap_txqueue warnings). */
  capTxqueueWarnings = 0;
  private readonly queues: NetdevQueue[];
  /** Per RX queue, its RPS map and RFS flow table (netdev_rx_queue's rps_map and rps_flow_table). */
  private readonly rxSteering: RxQueueSteering[];
  /** Some RX queue has an RPS map or an RFS flow table (the kernel's rps_needed static branch): netif_rx looks for a CPU to steer to. */
  rpsActive = false;
  private activeFeatures: bigint;
  private upFlag = false;
  private promisc = 0;
  /** IFF_PROMISC in dev->gflags: the user's own `promisc on` (dev_change_flags). */
  private userPromisc = false;
  private carrierFlag = false;
  private carrierUps = 0;
  private carrierDowns = 0;
  private readonly linkFns = new Set<LinkChangeFn>();
  /** dev_activate has attached qdiscs (the first open); until then the root is noop. */
  private activated = false;
  /** A qdisc grafted at the root (null: mq over the TX queues' on a multiqueue device, or the single queue's). */
  private root: Qdisc | null = null;
  /** The handle of the mq root: 0 for the one attach_default_qdiscs made, MAJ << 16 for one `graftMq` made. */
  private mqHandle = 0;
  /** dev->qdisc_hash in the order its entries were added (qdisc_hash_add): the mq children tc dumps. */
  private hashed: Qdisc[] = [];

  /** A device of `stack` (use `createNetDevice`). */
  constructor(
    readonly stack: NetStack,
    options: NetDeviceOptions,
  ) {
    const name = options.name;
    if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) throw new NetError('EINVAL', `device name "${name}": allowed 1..15 characters of [A-Za-z0-9_.:-]`);
    const numTx = options.numTxQueues ?? 1;
    checkInt(`${name}: numTxQueues`, numTx, 1, 4096);
    const numRx = options.numRxQueues ?? numTx;
    checkInt(`${name}: numRxQueues`, numRx, 1, 4096);
    const minMtu = options.minMtu ?? ETH_MIN_MTU;
    const maxMtu = options.maxMtu ?? ETH_DATA_LEN;
    checkInt(`${name}: minMtu`, minMtu, 0, ETH_MAX_MTU);
    // Only the loopback device goes past ETH_MAX_MTU (its LOOPBACK_MTU is 64 KiB; its max_mtu is unset).
    if (maxMtu !== 0) checkInt(`${name}: maxMtu`, maxMtu, minMtu, ETH_MAX_MTU);
    const mtu = options.mtu ?? (maxMtu === 0 ? ETH_DATA_LEN : Math.min(ETH_DATA_LEN, maxMtu));
    checkInt(`${name}: mtu`, mtu, minMtu, maxMtu === 0 ? INT_MAX : maxMtu);
    const tsoMaxSize = options.tsoMaxSize ?? GSO_LEGACY_MAX_SIZE;
    checkInt(`${name}: tsoMaxSize`, tsoMaxSize, 0, GSO_MAX_SIZE);
    const qlen = options.txqueuelen ?? DEFAULT_TX_QUEUE_LEN;
    checkInt(`${name}: txqueuelen`, qlen, 0, 0xffffffff);
    const addr = options.devAddr ?? ethRandomAddr(stack.host.sim.rng);
    if (addr.length !== ETH_ALEN) throw new NetError('EINVAL', `${name}: devAddr of ${addr.length} bytes: allowed ${ETH_ALEN} bytes`);
    this.name = name;
    this.ops = options.ops;
    this.ethtoolOps = options.ethtoolOps;
    this.mtu = mtu;
    this.minMtu = minMtu;
    this.maxMtu = maxMtu;
    this.parent = options.parent ?? null;
    this.tsoMaxSize = tsoMaxSize;
    this.txqueuelen = qlen;
    this.noQueue = options.noQueue === true;
    this.loopback = options.loopback === true;
    // A new device has its carrier on in the kernel; the model starts the others off (their drivers
    // turn it off before they bring a link up), lo never loses it.
    this.carrierFlag = this.loopback;
    this.devAddr = Uint8Array.from(addr);
    this.permAddr = options.devAddr === undefined ? new Uint8Array(ETH_ALEN) : Uint8Array.from(addr);
    const reg = registerNetdevFeatures(options.features ?? 0n, options.hwFeatures ?? 0n, this.loopback);
    this.activeFeatures = reg.features;
    this.hwFeatures = reg.hwFeatures;
    this.wantedFeatures = reg.wantedFeatures;
    this.updateFeatures();
    this.numTxQueues = numTx;
    this.numRxQueues = numRx;
    this.realNumTxQueues = numTx;
    this.realNumRxQueues = numRx;
    this.queues = Array.from({ length: numTx }, (_, i) => new NetdevQueue(this, i));
    this.rxSteering = Array.from({ length: numRx }, () => ({ map: [], flows: null }));
    this.ifindex = stack.registerNetdev(this);
  }

  /** The host the device belongs to. */
  get host(): Host {
    return this.stack.host;
  }

  /** What is on (dev->features). */
  get features(): bigint {
    return this.activeFeatures;
  }

  /**
   * __netdev_update_features: the features are what the user wanted among the changeable ones and
   * the fixed ones as they are, after `netdev_fix_features`; true when that changed them.
   */
  updateFeatures(): boolean {
    const next = netdevFixFeatures((this.activeFeatures & ~this.hwFeatures) | this.wantedFeatures);
    if (next === this.activeFeatures) return false;
    this.activeFeatures = next;
    return true;
  }

  /** dev->promiscuity: how many users (packet sockets of capture tools) asked for every frame. */
  get promiscuity(): number {
    return this.promisc;
  }

  /**
   * dev_set_promiscuity: add `inc` to the unsigned count; IFF_PROMISC follows it and each change
   * of that flag is logged (`entered`/`left promiscuous mode`, netdev_info). -EOVERFLOW, with
   * netdev_warn's line and nothing changed, when an increment would wrap the count to 0.
   */
  setPromiscuity(inc: number): number {
    if (!Number.isInteger(inc)) throw new NetError('EINVAL', `${this.name}: promiscuity increment ${String(inc)}: allowed an integer`);
    const next = (this.promisc + inc) >>> 0;
    if (next === 0 && inc > 0) {
      this.printk('promiscuity touches roof, set promiscuity failed. promiscuity feature of device might be broken.');
      return -netErrnoValue('EOVERFLOW');
    }
    const was = this.promisc !== 0;
    this.promisc = next;
    if (was !== (next !== 0)) this.printk(`${next !== 0 ? 'entered' : 'left'} promiscuous mode`);
    return 0;
  }

  /** IFF_PROMISC in dev->gflags: the user set `promisc on` (what dev_get_flags shows among the flags). */
  get promiscFlag(): boolean {
    return this.userPromisc;
  }

  /**
   * The IFF_PROMISC part of __dev_change_flags (`ip link set DEV promisc on|off`): a change of
   * the user's flag takes one promiscuity reference or gives it back (dev_set_promiscuity ±1);
   * setting it as it is changes nothing. 0, or the -EOVERFLOW of the increment.
   */
  setPromiscFlag(on: boolean): number {
    if (on === this.userPromisc) return 0;
    this.userPromisc = on;
    return this.setPromiscuity(on ? 1 : -1);
  }

  /** netdev_printk: `text` in the kernel log, after the parent's driver and name (when it has a parent) and the device's name. */
  printk(text: string): string {
    const p = this.parent;
    return this.host.printk(`${p === null ? '' : `${p.driver} ${p.name} `}${this.name}: ${text}`);
  }

  /** Whether it is administratively up (IFF_UP, netif_running). */
  get isUp(): boolean {
    return this.upFlag;
  }

  /** Operational state as `ip link` shows it. */
  get operstate(): 'UP' | 'DOWN' | 'LOWERLAYERDOWN' {
    if (!this.upFlag) return 'DOWN';
    return this.carrierFlag ? 'UP' : 'LOWERLAYERDOWN';
  }

  /** TX queue `index` (netdev_get_tx_queue); EINVAL outside 0..numTxQueues-1. */
  txQueue(index: number): NetdevQueue {
    const q = this.queues[index];
    if (q === undefined) throw new NetError('EINVAL', `${this.name}: tx queue ${String(index)}: allowed 0..${this.numTxQueues - 1}`);
    return q;
  }

  /** The kind at the root: noop before the first open, then noqueue, mq, or the root qdisc's kind. */
  get rootQdiscKind(): RootQdiscKind {
    if (!this.activated) return 'noop';
    if (this.noQueue) return 'noqueue';
    if (this.root !== null) return this.root.kind;
    return this.numTxQueues > 1 ? 'mq' : (this.txQueue(0).qdisc.kind);
  }

  /** The handle of what sits at the root (tcm_handle): a grafted qdisc's or mq's, 0 for noop, noqueue and the defaults. */
  get rootQdiscHandle(): number {
    if (!this.activated || this.noQueue) return 0;
    if (this.root !== null) return this.root.handle;
    return this.numTxQueues > 1 ? this.mqHandle : this.txQueue(0).qdisc.handle;
  }

  /**
   * The qdiscs hashed under an mq root, as tc_dump_qdisc walks dev->qdisc_hash (hash_for_each:
   * buckets by hash_32(handle, 4) in order, the newest first in each): the default children of
   * the real TX queues (mq_attach, mq_change_real_num_tx) and every child grafted since, real
   * queue or not (qdisc_create hashes it); never noop. Empty when the root is not mq.
   */
  get mqChildren(): readonly MqChild[] {
    if (this.rootQdiscKind !== 'mq') return [];
    const out: MqChild[] = [];
    for (let b = 0; b < 1 << QDISC_HASH_BITS; b++) {
      for (let i = this.hashed.length - 1; i >= 0; i--) {
        const qdisc = this.hashed[i] as Qdisc;
        if (qdiscHashBucket(qdisc.handle) === b) out.push({ txq: this.queues.findIndex((q) => q.qdisc === qdisc), qdisc });
      }
    }
    return out;
  }

  /** The distinct qdiscs on its TX queues, in queue order: a root shared by every queue once (what to sum `tc -s` counters over). */
  get txQdiscs(): Qdisc[] {
    return [...new Set(this.queues.map((q) => q.qdisc))];
  }

  /** The qdisc at the root when it is one (a single-queue device's, or one grafted over a multiqueue device), else null (noop, noqueue, mq). */
  get rootQdisc(): Qdisc | null {
    if (!this.activated || this.noQueue) return null;
    if (this.root !== null) return this.root;
    return this.numTxQueues > 1 ? null : this.txQueue(0).qdisc;
  }

  /**
   * A new qdisc of `kind` for this device (qdisc_create): pfifo_fast limited by txqueuelen;
   * fq_codel with the device's MTU + hard header as its one-MTU and default quantum, and
   * `params` over its defaults (EINVAL naming a bad one). Not attached.
   */
  createQdisc(kind: QdiscKind, params: Partial<FqCodelParams> = {}): Qdisc {
    if (kind === 'pfifo_fast') {
      if (Object.keys(params).length > 0) throw new NetError('EINVAL', `pfifo_fast takes no parameters (given ${Object.keys(params).join(', ')})`);
      return new PfifoFast(() => this.txqueuelen);
    }
    if (kind === 'fq_codel') return new FqCodel(this.mtu + ETH_HLEN, () => this.host.sim.now, this.stack.hashrnd, params);
    throw new NetError('EINVAL', `qdisc kind ${String(kind)}: allowed ${QDISC_KINDS.join(', ')}`);
  }

  /**
   * Graft `qdisc` (from `createQdisc`) at `parent` (qdisc_graft): at the root it serves every TX
   * queue; at `{ txq }` it becomes that queue's mq child (mq_graft, hashed for `mqChildren`),
   * which needs an mq root — the default one or `graftMq`'s (EINVAL otherwise, or for a queue
   * out of range; ENOENT before the first open, when the root is noop; EOPNOTSUPP on a noqueue
   * device). The qdiscs it replaces are reset, and at an mq class every TX queue's too
   * (dev_deactivate): their packets are freed. Nothing changes when it throws.
   */
  replaceQdisc(parent: QdiscParent, qdisc: Qdisc): void {
    this.checkGraft();
    if ('txq' in parent) {
      this.graftMqClass(parent.txq, qdisc);
      return;
    }
    this.swapQdiscs(() => {
      qdisc.oneTxQueue = this.numTxQueues === 1;
      this.root = qdisc;
      this.mqHandle = 0;
      this.hashed = [];
      for (const q of this.queues) q.qdisc = qdisc;
    });
  }

  /**
   * Replace the root with a new mq of `handle` (`tc qdisc replace … root handle H: mq`: mq_init,
   * then qdisc_graft at the root and mq_attach): its children are new qdiscs of the current
   * net.core.default_qdisc (qdisc_create_dflt, handle 0, parent H:N) for every TX queue, those of
   * the real ones hashed; the old qdiscs are reset. EOPNOTSUPP on a single-queue device
   * (!netif_is_multiqueue) or a noqueue one; ENOENT before the first open; EINVAL for a handle
   * that is not MAJ << 16 with MAJ in 1..0xffff. Nothing changes when it throws.
   */
  graftMq(handle: number): void {
    if (!Number.isInteger(handle) || handle <= 0 || handle > 0xffff0000 || handle % 0x10000 !== 0) {
      throw new NetError('EINVAL', `${this.name}: mq handle ${String(handle)}: allowed MAJ << 16 with MAJ in 1..0xffff`);
    }
    this.checkGraft();
    if (this.numTxQueues === 1) throw new NetError('EOPNOTSUPP', `${this.name}: mq needs a multiqueue device (it has one TX queue)`);
    this.swapQdiscs(() => {
      this.root = null;
      this.mqHandle = handle;
      this.attachMqChildren();
    });
  }

  /**
   * Delete the qdisc tc grafted at the mq class of TX queue `txq` (`tc qdisc del … parent H:N`:
   * qdisc_graft of NULL → mq_graft → dev_graft_qdisc): the queue is left with the builtin noop,
   * which drops whatever is sent to it (tx_dropped, NET_XMIT_CN) until a qdisc is grafted there
   * again; the deleted one and the other queues' are reset (dev_deactivate). EINVAL unless the
   * root is mq (or for a queue out of range), ENOENT when the class holds no qdisc with a handle
   * (a default one or noop: "Cannot delete qdisc with handle of zero"). Nothing changes when it throws.
   */
  deleteMqChild(txq: number): void {
    this.checkGraft();
    this.checkMqClass(txq);
    const q = this.txQueue(txq).qdisc;
    if (q.handle === 0) throw new NetError('ENOENT', `${this.name}: mq class :${txq + 1} holds ${q.kind === 'noop' ? 'noop' : 'a default qdisc'} (handle 0), which cannot be deleted`);
    this.graftMqClass(txq, new NoopQdisc());
  }

  /**
   * Put the defaults back (what deleting a root tc grafted leaves: dev_activate re-attaches
   * attach_default_qdiscs with the current net.core.default_qdisc); the replaced qdiscs are reset.
   */
  restoreDefaultQdiscs(): void {
    if (this.noQueue) return;
    this.swapQdiscs(() => {
      this.root = null;
      this.mqHandle = 0;
      if (this.numTxQueues > 1) this.attachMqChildren();
      else this.txQueue(0).qdisc = this.createQdisc(this.stack.sysctl.defaultQdisc);
    });
  }

  /**
   * Delete the qdisc grafted at the root (`tc qdisc del … root`: qdisc_graft of NULL, which
   * leaves noop): an up device gets its defaults back at once (dev_activate →
   * attach_default_qdiscs with the current net.core.default_qdisc), a down one keeps noop
   * until its next open. The deleted qdisc (an mq's children too) is reset. ENOENT when neither
   * `replaceQdisc` nor `graftMq` put one there (the defaults).
   */
  deleteRootQdisc(): void {
    if (this.root === null && this.mqHandle === 0) throw new NetError('ENOENT', `${this.name}: no qdisc grafted at the root (the default ones cannot be deleted)`);
    this.restoreDefaultQdiscs();
    if (!this.upFlag) this.activated = false;
  }

  /** Bring it up (dev_open → ndo_open); 0 or the driver's negative errno. The first open attaches the default qdiscs. */
  open(ctx?: ExecContext): number {
    if (this.upFlag) return 0;
    const rc = this.ops.open(ctx);
    if (rc < 0) return rc;
    if (!this.activated) {
      this.activated = true;
      this.restoreDefaultQdiscs();
    }
    this.upFlag = true;
    this.stack.onDeviceChange(this);
    this.notify();
    return 0;
  }

  /** Take it down (dev_close → dev_deactivate, ndo_stop); queued packets are purged, the ARP entries of the device forgotten (arp_ifdown). */
  close(): void {
    if (!this.upFlag) return;
    this.upFlag = false;
    this.deactivate();
    this.stack.arp.flushDev(this, false);
    this.ops.stop();
    this.stack.onDeviceChange(this);
    this.notify();
  }

  /**
   * Set the MTU (dev_set_mtu): EINVAL outside minMtu..maxMtu (..INT_MAX when maxMtu is 0); a driver error is thrown with its
   * errno. Then NETDEV_CHANGEMTU: below IPV4_MIN_MTU (68) the stack drops the device's IPv4
   * addresses (inetdev_event); sockets see the new MTU.
   */
  setMtu(mtu: number): void {
    checkInt(`${this.name}: mtu`, mtu, this.minMtu, this.maxMtu === 0 ? INT_MAX : this.maxMtu);
    if (mtu === this.mtu) return;
    // __dev_set_mtu: the driver's ndo_change_mtu, else the core writes it.
    let rc = 0;
    if (this.ops.changeMtu === undefined) this.mtu = mtu;
    else rc = this.ops.changeMtu(mtu);
    if (rc < 0) throw new NetError(netErrnoName(rc) ?? 'EIO', `${this.name}: ndo_change_mtu(${mtu}) failed with ${rc}`);
    this.stack.onMtuChange(this);
    this.stack.onDeviceChange(this);
  }

  /** Set the qdisc limit (`ip link set txqueuelen`, packets). */
  setTxqueuelen(len: number): void {
    checkInt(`${this.name}: txqueuelen`, len, 0, 0xffffffff);
    this.txqueuelen = len;
  }

  /** Whether the carrier is on (netif_carrier_ok). */
  netifCarrierOk(): boolean {
    return this.carrierFlag;
  }

  /** Carrier on (netif_carrier_on): qdiscs become active; link-change callbacks run; carrier_up_count counts it. */
  netifCarrierOn(): void {
    if (this.carrierFlag) return;
    this.carrierFlag = true;
    this.carrierUps++;
    this.notify();
  }

  /**
   * Carrier off (netif_carrier_off): queued packets are purged, the ARP entries of the device
   * but permanent ones forgotten (neigh_carrier_down, while arp_evict_nocarrier is on); link-change callbacks run;
   * carrier_down_count counts it. A new device's carrier is on in the kernel (no
   * __LINK_STATE_NOCARRIER) until its driver turns it off, as ntb_netdev's ndo_open does; the
   * model starts it off, so that first netif_carrier_off is counted all the same.
   */
  netifCarrierOff(): void {
    if (!this.carrierFlag) {
      if (this.carrierUps === 0 && this.carrierDowns === 0) this.carrierDowns = 1;
      return;
    }
    this.carrierFlag = false;
    this.carrierDowns++;
    this.deactivate();
    this.stack.arp.carrierDown(this);
    this.notify();
  }

  /** Carrier transitions: `up` (carrier_up_count), `down` (carrier_down_count) and their sum `changes` (carrier_changes, IFLA_CARRIER_CHANGES: `ip -s -s link`'s transns). */
  get carrierCounts(): { readonly up: number; readonly down: number; readonly changes: number } {
    return { up: this.carrierUps, down: this.carrierDowns, changes: this.carrierUps + this.carrierDowns };
  }

  /** Register a carrier/admin change callback; returns the unregister function. */
  onLinkChange(fn: LinkChangeFn): () => void {
    this.linkFns.add(fn);
    return () => this.linkFns.delete(fn);
  }

  /** Whether TX queue `q` is stopped (__netif_subqueue_stopped). */
  netifTxQueueStopped(q: number): boolean {
    return this.txQueue(q).stopped;
  }

  /** Stop TX queue `q` (netif_stop_subqueue): the core stops dequeuing for it. */
  netifStopSubqueue(q: number): void {
    const txq = this.txQueue(q);
    if (!txq.stopped) txq.stops++;
    txq.stopped = true;
  }

  /** Start TX queue `q` without rescheduling it (netif_start_subqueue). */
  netifStartSubqueue(q: number): void {
    this.txQueue(q).stopped = false;
  }

  /**
   * Wake TX queue `q` (netif_wake_subqueue → netif_tx_wake_queue): if it was stopped, schedule
   * its qdisc (`__netif_schedule`, whether or not it holds packets) on the NET_TX output queue of
   * the waker's CPU (this_cpu): `on`, or by default the CPU running the caller (`Host.thisCpu`:
   * a link work's kworker, say), CPU 0 outside any step.
   */
  netifWakeSubqueue(q: number, on?: Cpu | ExecContext): void {
    const txq = this.txQueue(q);
    if (!txq.stopped) return;
    txq.stopped = false;
    txq.wakes++;
    this.stack.netifSchedule(txq, on === undefined ? this.host.thisCpu() : 'cpu' in on ? on.cpu : on);
  }

  /** Start queue 0 (netif_start_queue). */
  netifStartQueue(): void {
    this.netifStartSubqueue(0);
  }

  /** Stop queue 0 (netif_stop_queue). */
  netifStopQueue(): void {
    this.netifStopSubqueue(0);
  }

  /** Wake queue 0 (netif_wake_queue). */
  netifWakeQueue(on?: Cpu | ExecContext): void {
    this.netifWakeSubqueue(0, on);
  }

  /** Start every TX queue (netif_tx_start_all_queues). */
  netifTxStartAllQueues(): void {
    for (const q of this.queues) q.stopped = false;
  }

  /** Stop every TX queue (netif_tx_stop_all_queues). */
  netifTxStopAllQueues(): void {
    for (const q of this.queues) this.netifStopSubqueue(q.index);
  }

  /** Wake every TX queue (netif_tx_wake_all_queues). */
  netifTxWakeAllQueues(on?: Cpu | ExecContext): void {
    for (const q of this.queues) this.netifWakeSubqueue(q.index, on);
  }

  /**
   * Set real_num_tx_queues (netif_set_real_num_tx_queues): 1..numTxQueues; queues beyond are
   * purged and lose XPS. Under an mq root the default children (handle 0) of the queues that
   * stop or start being real leave or join the qdisc hash (mq_change_real_num_tx).
   */
  netifSetRealNumTxQueues(n: number): void {
    checkInt(`${this.name}: real_num_tx_queues`, n, 1, this.numTxQueues);
    if (this.rootQdiscKind === 'mq') {
      const isDefault = (i: number): boolean => this.txQueue(i).qdisc.kind !== 'noop' && this.txQueue(i).qdisc.handle === 0;
      for (let i = n; i < this.realNumTxQueues; i++) if (isDefault(i)) this.unhash(this.txQueue(i).qdisc);
      for (let i = this.realNumTxQueues; i < n; i++) if (isDefault(i)) this.hashed.push(this.txQueue(i).qdisc);
    }
    if (n < this.realNumTxQueues) {
      for (let i = n; i < this.numTxQueues; i++) {
        const q = this.txQueue(i);
        this.dropAll(q.qdisc.purge());
        q.xpsCpus = 0;
        q.xpsRxqs = 0;
      }
    }
    this.realNumTxQueues = n;
  }

  /** Set real_num_rx_queues (netif_set_real_num_rx_queues): 1..numRxQueues; queues beyond lose their RPS map (their kobjects' release frees it). */
  netifSetRealNumRxQueues(n: number): void {
    checkInt(`${this.name}: real_num_rx_queues`, n, 1, this.numRxQueues);
    for (let i = n; i < this.realNumRxQueues; i++) this.rxSteering[i] = { map: [], flows: null };
    this.realNumRxQueues = n;
    this.updateRpsActive();
  }

  /** RX queue `q`'s RPS map as a CPU mask (0: none), …/rx-q/rps_cpus; EINVAL for a queue not in use. */
  rpsCpus(q: number): number {
    return this.rxQueueSteering(q).map.reduce((m, c) => m | (1 << c), 0) >>> 0;
  }

  /** RX queue `q`'s RFS flow table size (…/rx-q/rps_flow_cnt: entries, 0 for none); EINVAL for a queue not in use. */
  rpsFlowCnt(q: number): number {
    const t = this.rxQueueSteering(q).flows;
    return t === null ? 0 : t.mask + 1;
  }

  /**
   * Size RX queue `q`'s RFS flow table (store_rps_dev_flow_table_cnt): `count` entries rounded up
   * to a power of 2, at most 2^32 (EINVAL past it); ENOMEM for a table of 8-byte entries larger
   * than the board's memory; 0 removes it. A new table steers no flow yet.
   */
  setRpsFlowCnt(q: number, count: number): void {
    const steering = this.rxQueueSteering(q);
    if (!Number.isInteger(count) || count < 0 || count > 2 ** 32) throw new NetError('EINVAL', `${this.name}: rx-${q} rps_flow_cnt ${String(count)}: allowed an integer 0..${2 ** 32} (rounded up to a power of 2)`);
    const entries = count === 0 ? 0 : 2 ** Math.ceil(Math.log2(count));
    const ram = this.host.profile.memory.ramMiB.value * 2 ** 20;
    if (entries * 8 > ram) throw new NetError('ENOMEM', `${this.name}: rx-${q} rps_flow_cnt ${count}: a table of ${entries} entries (${entries * 8} bytes) is larger than the board's ${ram} bytes of memory`);
    this.rxSteering[q] = { map: steering.map, flows: entries === 0 ? null : { mask: entries - 1, entries: new Map() } };
    this.updateRpsActive();
  }

  private updateRpsActive(): void {
    this.rpsActive = this.rxSteering.some((s) => s.map.length > 0 || s.flows !== null);
  }

  /** RX queue `q`'s steering, EINVAL for a queue not in use. */
  private rxQueueSteering(q: number): RxQueueSteering {
    checkInt(`${this.name}: rx queue`, q, 0, this.realNumRxQueues - 1);
    return this.rxSteering[q] as RxQueueSteering;
  }

  /** @internal RX queue `q`'s RPS map and RFS flow table, for netif_rx (`q` below real_num_rx_queues, unchecked). */
  rxQueueSteeringOf(q: number): RxQueueSteering {
    return this.rxSteering[q] as RxQueueSteering;
  }

  /**
   * Set RX queue `q`'s RPS map (store_rps_map; `echo MASK > …/rx-q/rps_cpus`): the online CPUs
   * of `cpuMask`, EINVAL if it names CPUs but none online; 0 clears it.
   */
  setRpsCpus(q: number, cpuMask: number): void {
    const steering = this.rxQueueSteering(q);
    if (!Number.isInteger(cpuMask) || cpuMask < 0 || cpuMask > 0xffffffff) {
      throw new NetError('EINVAL', `${this.name}: rps_cpus mask ${String(cpuMask)}: allowed an integer 0..0xffffffff`);
    }
    const mask = cpuMask === 0 ? 0 : this.host.checkCpuMask(cpuMask, `${this.name} rx-${q} rps_cpus`);
    // rps_map->cpus: the mask's CPUs in order, which get_rps_cpu indexes by hash.
    const map: number[] = [];
    for (let m = mask; m !== 0; m &= m - 1) map.push(31 - Math.clz32(m & -m));
    this.rxSteering[q] = { map, flows: steering.flows };
    this.updateRpsActive();
  }

  /** Set both real queue counts (netif_set_real_num_queues); nothing changes if either is out of range. */
  netifSetRealNumQueues(tx: number, rx: number): void {
    checkInt(`${this.name}: real_num_tx_queues`, tx, 1, this.numTxQueues);
    checkInt(`${this.name}: real_num_rx_queues`, rx, 1, this.numRxQueues);
    this.netifSetRealNumTxQueues(tx);
    this.netifSetRealNumRxQueues(rx);
  }

  /** Map CPUs to TX queue `q` for XPS (netif_set_xps_queue; `echo MASK > …/tx-q/xps_cpus`); 0 clears. */
  setXpsCpus(q: number, cpuMask: number): void {
    const txq = this.txQueue(q);
    if (!Number.isInteger(cpuMask) || cpuMask < 0 || cpuMask > 0xffffffff) {
      throw new NetError('EINVAL', `${this.name}: xps_cpus mask ${String(cpuMask)}: allowed an integer 0..0xffffffff`);
    }
    txq.xpsCpus = cpuMask === 0 ? 0 : this.host.checkCpuMask(cpuMask, `${this.name} tx-${q} xps_cpus`);
  }

  /** Map RX queues to TX queue `q` for XPS (`…/tx-q/xps_rxqs`, bit i = RX queue i); 0 clears. */
  setXpsRxqs(q: number, rxqMask: number): void {
    const txq = this.txQueue(q);
    const all = this.numRxQueues >= 32 ? 0xffffffff : (1 << this.numRxQueues) - 1;
    if (!Number.isInteger(rxqMask) || rxqMask < 0 || rxqMask > 0xffffffff || ((rxqMask >>> 0) & ~all) !== 0) {
      throw new NetError('EINVAL', `${this.name}: xps_rxqs mask ${String(rxqMask)}: allowed a mask of RX queues within 0x${(all >>> 0).toString(16)}`);
    }
    txq.xpsRxqs = rxqMask >>> 0;
  }

  /** What every graft needs: a device with qdiscs (not noqueue, EOPNOTSUPP) past its first open (ENOENT). */
  private checkGraft(): void {
    if (this.noQueue) throw new NetError('EOPNOTSUPP', `${this.name}: noqueue device (IFF_NO_QUEUE): it has no qdisc to replace`);
    if (!this.activated) throw new NetError('ENOENT', `${this.name}: the root is noop until the device is first brought up`);
  }

  /** An mq class of TX queue `txq`: EINVAL unless the root is mq and the queue exists. */
  private checkMqClass(txq: number): void {
    if (this.rootQdiscKind !== 'mq') throw new NetError('EINVAL', `${this.name}: parent :${txq + 1}: the root is ${this.rootQdiscKind}, not mq (classes :1..:N are mq's, one per TX queue)`);
    this.txQueue(txq);
  }

  /**
   * mq_graft: `qdisc` on TX queue `txq` (TCQ_F_ONETXQUEUE), hashed unless noop (qdisc_create
   * hashes what tc creates), the old one unhashed; dev_deactivate resets every queue's qdisc.
   */
  private graftMqClass(txq: number, qdisc: Qdisc): void {
    this.checkMqClass(txq);
    const queue = this.txQueue(txq);
    const old = queue.qdisc;
    qdisc.oneTxQueue = true;
    queue.qdisc = qdisc;
    this.unhash(old);
    if (qdisc.kind !== 'noop') this.hashed.push(qdisc);
    this.resetQdisc(old);
    this.deactivate();
  }

  /** mq_init + mq_attach: a new default qdisc on every TX queue, those of the real ones hashed in queue order. */
  private attachMqChildren(): void {
    for (const q of this.queues) q.qdisc = this.createQdisc(this.stack.sysctl.defaultQdisc);
    this.hashed = this.queues.slice(0, this.realNumTxQueues).map((q) => q.qdisc);
  }

  private unhash(q: Qdisc): void {
    const i = this.hashed.indexOf(q);
    if (i >= 0) this.hashed.splice(i, 1);
  }

  private deactivate(): void {
    for (const q of this.queues) this.dropAll(q.qdisc.purge());
  }

  /** Run `attach` (which puts new qdiscs on the TX queues), then reset every qdisc it took off (qdisc_put → qdisc_reset: their packets freed). */
  private swapQdiscs(attach: () => void): void {
    const olds = this.txQdiscs;
    attach();
    for (const old of olds) this.resetQdisc(old);
  }

  private resetQdisc(q: Qdisc): void {
    if (this.queues.some((t) => t.qdisc === q)) return;
    this.dropAll(q.purge());
  }

  private dropAll(skbs: Skb[]): void {
    for (const s of skbs) s.free();
  }

  private notify(): void {
    const event = { up: this.upFlag, carrier: this.carrierFlag };
    for (const fn of [...this.linkFns]) fn(event);
  }
}

/** Create and register a device on `stack` (alloc_etherdev_mqs + register_netdev); it starts down, carrier off. */
export function createNetDevice(stack: NetStack, options: NetDeviceOptions): NetDevice {
  return new NetDevice(stack, options);
}

/**
 * Pull the Ethernet header of a received skb, set its device and classify its destination
 * (eth_type_trans: `pktType` host, broadcast, multicast or otherhost); returns the EtherType.
 */
export function ethTypeTrans(skb: Skb, dev: NetDevice): number {
  skb.dev = dev;
  if (skb.macLen === ETH_HLEN) skb.macLen = 0;
  const dst = skb.ethDst;
  if (dst !== null && dst.length === ETH_ALEN) {
    if (((dst[0] as number) & 1) !== 0) skb.pktType = dst.every((b) => b === 0xff) ? 'broadcast' : 'multicast';
    else if (!dst.every((b, i) => b === dev.devAddr[i])) skb.pktType = 'otherhost';
  }
  return skb.protocol;
}
