/**
 * The virtual two-board lab: two hosts (`rc`, `ep`) with their own kernels, joined by the
 * R-Car S4 EPF hardware model, each running ntb_transport, ntb_netdev (`ntb0`) and an IPv4
 * stack (10.0.0.1 on the RC, 10.0.0.2 on the EP). `bootLab` does what the boards' boot and the
 * seed's setup do: load the modules with their parameters, wait for the transport link, set
 * the addresses and bring `ntb0` up.
 */
import { createHost, createSimulation, ERRNO, getProfile, type Host, type PlatformProfile, type Simulation } from '@ntbsim/kernel';
import { createNetStack, IPV4_MIN_MTU, type NetStack } from '@ntbsim/net-core';
import { createEpfPair, EPC_PAGE_BYTES, type DoorbellMode, type DwMsiMode, type EpfPair, type EpfPortMode, type VntbOptions } from '@ntbsim/ntb-hw-epf';
import { createNtbPerfClient, type NtbPerf, type NtbPerfClient, type PerfParams } from '@ntbsim/ntb-perf';
import { createNtbPingpongClient, type NtbPingpong, type NtbPingpongClient, type PingpongParams } from '@ntbsim/ntb-pingpong';
import { createNtbToolClient, type NtbTool, type NtbToolClient } from '@ntbsim/ntb-tool';
import { loadNtbNetdev, type NtbNetdev, type PayloadMode } from '@ntbsim/ntb-netdev';
import type { NtbBus, NtbClient, NtbDev } from '@ntbsim/ntb-core';
import { createNtbTransportClient, TransportBus, type NtbTransport, type NtbTransportClient } from '@ntbsim/ntb-transport';
import { unknownParamMessage, type ModuleParams } from './params.js';

/** Board names. */
export type BoardName = 'rc' | 'ep';

/** Options of `bootLab`. */
export interface LabOptions {
  /** Platform profile (default rcar-s4). */
  readonly profile?: PlatformProfile;
  /** RNG seed. */
  readonly seed?: number;
  /** Module parameters (both boards). */
  readonly params?: ModuleParams;
  /** Doorbell code state per board (default legacy on both). */
  readonly doorbell?: { readonly rc?: DoorbellMode; readonly ep?: DoorbellMode };
  /** vNTB configuration (memory windows, doorbells). */
  readonly vntb?: VntbOptions;
  /** Port numbering of the two NTB devices (default `same`: mainline, both port 0). */
  readonly ports?: EpfPortMode;
  /** How the RC's DWC MSI controller hands the EP's vectors to CPUs (default `redirect`: Linux 7.0). */
  readonly msi?: DwMsiMode;
  /** Payload fidelity (default timing). */
  readonly payload?: PayloadMode;
  /** Trace ring capacity in records (0 = off). */
  readonly traceCapacity?: number;
  /** Sysctls set on both boards before the modules load (`net.core.wmem_max`, …). */
  readonly sysctl?: Readonly<Record<string, number | boolean | string | readonly number[]>>;
  /** Account CPU time per context name (for bottleneck reports). Default true. */
  readonly accountByName?: boolean;
}

/** One board of the lab. */
export interface Board {
  /** `rc` or `ep`. */
  readonly name: BoardName;
  /** Its kernel. */
  readonly host: Host;
  /** Its IPv4 stack. */
  readonly stack: NetStack;
  /** Its ntb_transport bus. */
  readonly transportBus: TransportBus;
  /** Its NTB device (ntb_hw_epf's on the RC, pci-epf-vntb's on the EP): what module loads and unloads sleep on (`sleepUntilIdle`). */
  readonly ntb: NtbDev;
  /** Its IPv4 address on ntb0. */
  readonly ip: string;
  /** The transport instance (once probed). */
  transport(): NtbTransport | null;
  /** The ntb_netdev instance (once probed). */
  netdev(): NtbNetdev | null;
  /** The options ntb_netdev was loaded with (its parameters: `ntb_num_queues` as `queues`, and the model's switches), null when it is not loaded. */
  netdevParams(): ModuleParams['netdev'] | null;
  /** `modprobe ntb_netdev`: load with `options` (no-op returning 0 when loaded); 0 or -errno. */
  loadNetdev(options?: ModuleParams['netdev']): number;
  /** `rmmod ntb_netdev`: unload; false when not loaded. */
  unloadNetdev(): boolean;
  /** `modprobe ntb_transport`: register the transport client with `options` (default: the boot parameters) on the board's NTB bus (probe on its device); nothing when loaded. A refused probe leaves the module loaded with no transport, as in the kernel. */
  loadTransport(options?: ModuleParams['transport']): void;
  /** `rmmod ntb_transport`: unregister it (ntb_transport_free: the peer sees the link go down); 0, -EBUSY while ntb_netdev holds it, -ENOENT when not loaded. */
  unloadTransport(): number;
  /** Whether ntb_transport is loaded (its debugfs directory exists), probed or not. */
  transportLoaded(): boolean;
  /** The ntb_transport module when loaded, probed or not: its parameters (`params`, `setParam`). */
  transportModule(): NtbTransportClient | null;
  /** `modprobe ntb_perf`: register the ntb_perf client with `params` (it probes a device no other client holds); the pr_info lines of its init; PerfError on a bad parameter; nothing when loaded. */
  loadPerf(params?: Partial<PerfParams>): readonly string[];
  /** `rmmod ntb_perf`: unregister it; false when not loaded. */
  unloadPerf(): boolean;
  /** The ntb_perf module when loaded (its debugfs directory exists), bound to a device or not. */
  perfModule(): NtbPerfClient | null;
  /** ntb_perf on the board's NTB device, when loaded and probed. */
  perf(): NtbPerf | null;
  /** `modprobe ntb_tool`: register the ntb_tool client (it probes a device no other client holds); nothing when loaded. */
  loadTool(): void;
  /** `rmmod ntb_tool`: unregister it; false when not loaded. */
  unloadTool(): boolean;
  /** The ntb_tool module when loaded (its debugfs directory exists), bound to a device or not. */
  toolModule(): NtbToolClient | null;
  /** ntb_tool on the board's NTB device, when loaded and probed. */
  tool(): NtbTool | null;
  /** `modprobe ntb_pingpong`: register the ntb_pingpong client with `params` (it probes a device no other client holds); the dev_err lines of its probe; nothing when loaded. */
  loadPingpong(params?: Partial<PingpongParams>): readonly string[];
  /** `rmmod ntb_pingpong`: unregister it; false when not loaded. */
  unloadPingpong(): boolean;
  /** The ntb_pingpong module when loaded (its debugfs directory exists), bound to a device or not. */
  pingpongModule(): NtbPingpongClient | null;
  /** ntb_pingpong on the board's NTB device, when loaded and probed. */
  pingpong(): NtbPingpong | null;
  /** The lab's own printk lines since boot (the unknown-parameter warnings the CLI shows on stderr); the whole kernel log is `host.kmsg()`. */
  readonly kernelLog: readonly string[];
  /** printk on the board's kernel (`host.printk`), also kept in `kernelLog`; returns the stamped line. */
  printk(text: string): string;
}

/** A booted lab. */
export interface Lab {
  /** The shared simulation. */
  readonly sim: Simulation;
  /** The profile in force. */
  readonly profile: PlatformProfile;
  /** The boards. */
  readonly boards: { readonly rc: Board; readonly ep: Board };
  /** The hardware pair (fabric, faults, MSI vectors). */
  readonly pair: EpfPair;
  /** The options it was booted with. */
  readonly options: LabOptions;
}

/** The other board of the pair. */
export function peerBoard(b: BoardName): BoardName {
  return b === 'rc' ? 'ep' : 'rc';
}

/** The lab's addresses (the seed's SERVER_IP is the RC). */
export const LAB_IPS: Readonly<Record<BoardName, string>> = { rc: '10.0.0.1', ep: '10.0.0.2' };

/** Why the lab could not boot. */
export class LabError extends Error {
  /** Errno-like code. */
  readonly code: 'ETIMEDOUT' | 'ENODEV' | 'EINVAL' | 'ENOBUFS';
  constructor(code: 'ETIMEDOUT' | 'ENODEV' | 'EINVAL' | 'ENOBUFS', message: string) {
    super(message);
    this.name = 'LabError';
    this.code = code;
  }
}

/** Memory windows of the seed's boards: BAR2's ~2 MiB ceiling split into `count` MWs of at most 1 MiB each, rounded down to the 4 KiB EPC page (bytes). */
export function seedMwSizes(count: number): number[] {
  return Array.from({ length: count }, () => Math.min(1 << 20, Math.floor((2 << 20) / count / EPC_PAGE_BYTES) * EPC_PAGE_BYTES));
}

/**
 * What the boards' setup does once ntb_transport has probed: `modprobe ntb_netdev`,
 * `ip addr add <board ip>/24 dev ntb0`, `ip link set ntb0 up`; 0 or the -errno of the step
 * that failed (-ENODEV when ntb_netdev created no device).
 */
export function configureNtb0(b: Board): number {
  const rc = b.loadNetdev();
  if (rc !== 0) return rc;
  const nd = b.netdev();
  if (nd === null) return -ERRNO.ENODEV;
  // ip addr add: a device whose MTU is below 68 has no IPv4 (RTNETLINK answers ENOBUFS).
  if (nd.ndev.mtu < IPV4_MIN_MTU) return -ERRNO.ENOBUFS;
  b.stack.ipAddrAdd(nd.ndev, `${b.ip}/24`);
  return nd.ndev.open();
}

/**
 * A test client module of a board's NTB bus (ntb_perf, ntb_tool, ntb_pingpong): loaded (its
 * client registered, which probes a device no other client holds) or not, and its instance on
 * the board's device when bound.
 */
function clientModule<C extends NtbClient & { readonly instances: ReadonlyMap<string, I> }, I>(bus: NtbBus) {
  let client: C | null = null;
  return {
    /** Register `c` (modprobe). */
    load(c: C): void {
      client = c;
      bus.registerClient(c);
    },
    /** Unregister it (rmmod); false when not loaded. */
    unload(): boolean {
      if (client === null) return false;
      bus.unregisterClient(client);
      client = null;
      return true;
    },
    /** The module when loaded. */
    module: (): C | null => client,
    /** Its instance on the board's device, when bound. */
    instance: (): I | null => (client === null ? null : ([...client.instances.values()][0] ?? null)),
  };
}

/** Boot the two boards and bring ntb0 up on both; throws LabError if the link does not come up in 5 s. */
export function bootLab(options: LabOptions = {}): Lab {
  const profile = options.profile ?? getProfile('rcar-s4');
  const sim = createSimulation({ seed: options.seed ?? 1, traceCapacity: options.traceCapacity ?? 0, accountByName: options.accountByName ?? true });
  const rcHost = createHost(sim, { name: 'rc', profile });
  const epHost = createHost(sim, { name: 'ep', profile });
  const pair = createEpfPair({ rc: rcHost, ep: epHost, doorbell: options.doorbell ?? {}, ports: options.ports ?? 'same', ...(options.msi === undefined ? {} : { msi: options.msi }), ...(options.vntb === undefined ? {} : { vntb: options.vntb }) });
  const params = options.params ?? { transport: {}, netdev: {} };
  const mk = (name: BoardName, host: Host): Board => {
    const stack = createNetStack(host);
    for (const [k, v] of Object.entries(options.sysctl ?? {})) stack.setSysctl(k, v);
    const transportBus = new TransportBus();
    const ntbBus = name === 'rc' ? pair.buses.rc : pair.buses.ep;
    let transportClient: NtbTransportClient | null = null;
    const perf = clientModule<NtbPerfClient, NtbPerf>(ntbBus);
    const tool = clientModule<NtbToolClient, NtbTool>(ntbBus);
    const pingpong = clientModule<NtbPingpongClient, NtbPingpong>(ntbBus);
    let module: ReturnType<typeof loadNtbNetdev> | null = null;
    let netdevParams: ModuleParams['netdev'] | null = null;
    const kernelLog: string[] = [];
    const board: Board = {
      name,
      host,
      stack,
      transportBus,
      ntb: name === 'rc' ? pair.rc : pair.ep,
      ip: LAB_IPS[name],
      transport: () => transportBus.transports[0] ?? null,
      netdev: () => (module === null ? null : ([...module.devices.values()][0] ?? null)),
      netdevParams: () => netdevParams,
      loadNetdev(netdevOptions = params.netdev): number {
        if (module !== null) return 0;
        const m = loadNtbNetdev(transportBus, stack, { ...netdevOptions, name: 'ntb0', payload: options.payload ?? 'timing' });
        if (m.rc !== 0) {
          m.unload();
          return m.rc;
        }
        module = m;
        netdevParams = netdevOptions;
        return 0;
      },
      unloadNetdev(): boolean {
        if (module === null) return false;
        module.unload();
        module = null;
        netdevParams = null;
        return true;
      },
      transportLoaded: () => transportClient !== null,
      transportModule: () => transportClient,
      loadTransport(transportOptions = params.transport): void {
        if (transportClient !== null) return;
        transportClient = createNtbTransportClient({ bus: transportBus, params: transportOptions });
        ntbBus.registerClient(transportClient);
      },
      unloadTransport(): number {
        if (module !== null) return -ERRNO.EBUSY;
        if (transportClient === null) return -ERRNO.ENOENT;
        ntbBus.unregisterClient(transportClient);
        transportClient = null;
        return 0;
      },
      loadPerf(perfParams = {}): readonly string[] {
        if (perf.module() !== null) return [];
        const client = createNtbPerfClient({ params: perfParams, functional: options.payload === 'functional' });
        // pr_info without pr_fmt (ntb_perf.c defines none): the lines carry no prefix.
        const log = client.initLog.map((l) => board.printk(l));
        perf.load(client);
        return log;
      },
      unloadPerf: () => perf.unload(),
      perfModule: () => perf.module(),
      perf: () => perf.instance(),
      loadTool(): void {
        if (tool.module() === null) tool.load(createNtbToolClient());
      },
      unloadTool: () => tool.unload(),
      toolModule: () => tool.module(),
      tool: () => tool.instance(),
      loadPingpong(pingpongParams = {}): readonly string[] {
        if (pingpong.module() !== null) return [];
        const client = createNtbPingpongClient(pingpongParams);
        pingpong.load(client);
        return client.log;
      },
      unloadPingpong: () => pingpong.unload(),
      pingpongModule: () => pingpong.module(),
      pingpong: () => pingpong.instance(),
      kernelLog,
      printk(text: string): string {
        const line = host.printk(text);
        kernelLog.push(line);
        return line;
      },
    };
    for (const u of params.unknown ?? []) if (u.module === 'ntb_transport') board.printk(unknownParamMessage(u));
    board.loadTransport();
    return board;
  };
  const rc = mk('rc', rcHost);
  const ep = mk('ep', epHost);
  const deadline = sim.now + 5_000_000_000;
  while ((rc.transport() === null || ep.transport() === null) && sim.now < deadline) sim.run({ until: sim.now + 1_000_000 });
  for (const b of [rc, ep]) {
    if (b.transport() === null) throw new LabError('ENODEV', `${b.name}: ntb_transport did not probe (hardware probe: ${JSON.stringify(pair.probe())})`);
    for (const u of params.unknown ?? []) if (u.module === 'ntb_netdev') b.printk(unknownParamMessage(u));
    const rcode = configureNtb0(b);
    const t = b.transport();
    if (rcode !== 0 && b.netdev() === null && t !== null && t.counts.qpCount === 0) {
      const why = t.counts.mwCount === 0 ? 'no memory window' : `qp_count = ilog2(db_valid_mask 0x${t.dev.ops.dbValidMask().toString(16)}) = 0`;
      throw new LabError('ENODEV', `${b.name}: ntb_netdev's probe failed (-EIO): ntb_transport has no queue pair (${why}), so there is no ntb0`);
    }
    if (rcode === -ERRNO.ENOBUFS) throw new LabError('ENOBUFS', `${b.name}: ntb0's MTU ${b.netdev()?.ndev.mtu ?? 0} (max_size ${t?.qps[0]?.maxSize() ?? 0} − ETH_HLEN) is below 68: it has no IPv4, so 'ip addr add ${b.ip}/24 dev ntb0' fails (No buffer space available)`);
    if (rcode !== 0 && b.netdev() === null && t !== null && t.qps.length > 0) throw new LabError('EINVAL', `${b.name}: ntb_netdev's probe failed: max_size ${t.qps[0]?.maxSize() ?? 0} leaves no room for an Ethernet header (ETH_HLEN 14); raise ntb_transport.transport_mtu`);
    if (rcode !== 0) throw new LabError('ENODEV', `${b.name}: modprobe ntb_netdev failed (${rcode})`);
  }
  const up = (): boolean => [rc, ep].every((b) => b.netdev()?.ndev.netifCarrierOk() === true);
  while (!up() && sim.now < deadline) sim.run({ until: sim.now + 1_000_000 });
  if (!up()) {
    // Say what each board has: the transport's link, its queue pairs and which are up.
    const state = [rc, ep]
      .map((b) => {
        const t = b.transport();
        const nd = b.netdev();
        if (t === null || nd === null) return `${b.name}: no ${t === null ? 'ntb_transport' : 'ntb0'}`;
        const qps = nd.queues.map((q) => `qp${q.qp.qpNum} ${q.qp.linkQuery() ? 'up' : 'down'}`).join(', ');
        return `${b.name}: transport link ${t.linkIsUp ? 'up' : 'down'}, qp_count ${t.counts.qpCount} (db_valid_mask 0x${t.dev.ops.dbValidMask().toString(16)}), ntb0 queues: ${qps}`;
      })
      .join('; ');
    const [rq, eq] = [rc.transport()?.counts.qpCount, ep.transport()?.counts.qpCount];
    const mismatch = rq !== undefined && eq !== undefined && rq !== eq ? `: the boards' qp_count differ, and ntb_transport_link_work retries for as long as the peer's NUM_QPS is not its own` : '';
    throw new LabError('ETIMEDOUT', `ntb0 carrier did not come up on both boards within 5 s of virtual time (${state})${mismatch}`);
  }
  const lab: Lab = { sim, profile, boards: { rc, ep }, pair, options };
  if (sim.trace !== null) traceCounters(lab);
  return lab;
}

/** How often a traced lab reads its queue counters (ns): every 1 ms of virtual time. */
export const COUNTER_SAMPLE_NS = 1_000_000;

/**
 * With the trace on, read every COUNTER_SAMPLE_NS, on both boards, each ntb0 TX queue's qdisc
 * length (packets, `tc -s qdisc` qlen) and whether the driver has it stopped, and each queue
 * pair's free TX ring entries (`ntb_transport_tx_free_entry`), and add a `counter` record for
 * each value that changed (Perfetto draws them as counter tracks beside the CPUs). The
 * readings change nothing, so a traced run gives the same results as an untraced one.
 */
function traceCounters(lab: Lab): void {
  const last = new Map<string, number>();
  const put = (host: string, name: string, value: number): void => {
    const key = `${host}/${name}`;
    if (last.get(key) === value) return;
    last.set(key, value);
    lab.sim.record({ host, cpu: -1, what: 'counter', name, value });
  };
  const read = (): void => {
    for (const b of [lab.boards.rc, lab.boards.ep]) {
      const nd = b.netdev();
      for (const q of nd?.queues ?? []) {
        put(b.name, `ntb0 txq${q.qid} qlen`, q.dev.ndev.txQueue(q.qid).qdisc.qlen);
        put(b.name, `ntb0 txq${q.qid} stopped`, q.dev.ndev.netifTxQueueStopped(q.qid) ? 1 : 0);
      }
      (b.transport()?.qps ?? []).forEach((qp, i) => put(b.name, `qp${i} tx free`, qp.txFreeEntry()));
    }
    lab.sim.at(lab.sim.now + COUNTER_SAMPLE_NS, read);
  };
  read();
}
