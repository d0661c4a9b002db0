import { createHost, createSimulation, getProfile, type ExecContext, type Host, type Simulation, type TaskStep } from '@ntbsim/kernel';
import { createNetStack, parseIpv4, type NetStack, type TcpSocket } from '@ntbsim/net-core';
import { createEpfPair, type DoorbellMode } from '@ntbsim/ntb-hw-epf';
import { createNtbTransportClient, TransportBus, type TransportParams } from '@ntbsim/ntb-transport';
import { loadNtbNetdev, type NtbNetdev, type NtbNetdevModule, type NtbNetdevOptions } from '../src/index.js';

export interface Side {
  readonly host: Host;
  readonly stack: NetStack;
  readonly nd: NtbNetdev;
  readonly ip: string;
  /** The loaded ntb_netdev module (for `unload()`, rmmod). */
  readonly mod: NtbNetdevModule;
  /** The host's ntb_transport bus. */
  readonly bus: TransportBus;
}

export interface Rig {
  readonly sim: Simulation;
  readonly rc: Side;
  readonly ep: Side;
}

/** Options of `transportPair` and `rig`. */
export interface RigOptions {
  readonly seed?: number;
  /** Kernel trace ring capacity (records); 0 or absent: no trace. */
  readonly traceCapacity?: number;
  readonly mws?: number;
  readonly mwSize?: number;
  readonly doorbell?: DoorbellMode;
  readonly transport?: Partial<TransportParams>;
  readonly netdev?: NtbNetdevOptions;
  /**
   * 'static' (default): each side holds a permanent ARP entry for the other (`ip neigh replace …
   * nud permanent`), so the tests count their own frames only; 'dynamic': ARP resolves the peer.
   */
  readonly arp?: 'static' | 'dynamic';
}

/** Two hosts over the R-Car S4 EPF model with ntb_transport probed on each (no ntb_netdev yet). */
export interface TransportPair {
  readonly sim: Simulation;
  readonly hosts: { readonly rc: Host; readonly ep: Host };
  readonly buses: { readonly rc: TransportBus; readonly ep: TransportBus };
}

/** Two hosts over the R-Car S4 EPF model, ntb_transport probed on both (before `modprobe ntb_netdev`). */
export function transportPair(opts: RigOptions = {}): TransportPair {
  const sim = createSimulation({ seed: opts.seed ?? 1, traceCapacity: opts.traceCapacity ?? 0 });
  const profile = getProfile('rcar-s4');
  const hosts = { rc: createHost(sim, { name: 'rc', profile }), ep: createHost(sim, { name: 'ep', profile }) };
  const mws = opts.mws ?? 1;
  const pair = createEpfPair({ rc: hosts.rc, ep: hosts.ep, doorbell: { rc: opts.doorbell ?? 'per-bit', ep: opts.doorbell ?? 'per-bit' }, vntb: { mwSizes: Array.from({ length: mws }, () => opts.mwSize ?? 1 << 20) } });
  const buses = { rc: new TransportBus(), ep: new TransportBus() };
  pair.buses.rc.registerClient(createNtbTransportClient({ bus: buses.rc, params: opts.transport ?? {} }));
  pair.buses.ep.registerClient(createNtbTransportClient({ bus: buses.ep, params: opts.transport ?? {} }));
  while ((buses.rc.transports.length === 0 || buses.ep.transports.length === 0) && sim.now < 1e9) sim.run({ until: sim.now + 1e6 });
  return { sim, hosts, buses };
}

/** Two hosts over the R-Car S4 EPF model, ntb_transport and ntb_netdev, addresses set, ntb0 up. */
export function rig(opts: RigOptions = {}): Rig {
  const { sim, hosts, buses } = transportPair(opts);
  const mk = (name: 'rc' | 'ep', ip: string): Side => {
    const host = hosts[name];
    const stack = createNetStack(host);
    stack.setSysctl('net.core.wmem_max', 1 << 24);
    stack.setSysctl('net.core.rmem_max', 1 << 24);
    const mod = loadNtbNetdev(buses[name], stack, opts.netdev ?? {});
    const nd = [...mod.devices.values()][0];
    if (nd === undefined) throw new Error('ntb_netdev did not probe');
    stack.ipAddrAdd(nd.ndev, `${ip}/24`);
    nd.ndev.open();
    return { host, stack, nd, ip, mod, bus: buses[name] };
  };
  const r = { sim, rc: mk('rc', '10.0.0.1'), ep: mk('ep', '10.0.0.2') };
  if (opts.arp !== 'dynamic') {
    r.rc.stack.arp.replace(r.rc.nd.ndev, parseIpv4(r.ep.ip), { lladdr: r.ep.nd.ndev.devAddr, state: 'PERMANENT' });
    r.ep.stack.arp.replace(r.ep.nd.ndev, parseIpv4(r.rc.ip), { lladdr: r.rc.nd.ndev.devAddr, state: 'PERMANENT' });
  }
  while (!(r.rc.nd.ndev.netifCarrierOk() && r.ep.nd.ndev.netifCarrierOk()) && sim.now < 2e9) sim.run({ until: sim.now + 1e6 });
  return r;
}

/** Deterministic stream bytes. */
export function pattern(off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = ((off + i) * 2654435761) >>> 24;
  return b;
}

/** A TCP bulk transfer of `total` bytes from `from` to `to` (port 5001); returns what the receiver got. */
export function tcpTransfer(r: Rig, from: Side, to: Side, total: number, options: { functional: boolean; chunk?: number; onSent?: (sent: number) => void }): { received: () => number; data: () => Uint8Array[]; done: () => boolean } {
  const chunk = options.chunk ?? 65_480;
  const listener = to.stack.tcpSocket();
  listener.bind(5001);
  listener.listen();
  const got: Uint8Array[] = [];
  let received = 0;
  let conn: TcpSocket | null = null;
  to.host.createUserTask('rx', (ctx, task): TaskStep => {
    if (conn === null) {
      const a = listener.accept();
      if (!a.ok) {
        listener.waitReadable(task);
        return 'sleep';
      }
      conn = a.sock;
    }
    const r2 = conn.recv(ctx, 1 << 20);
    if (!r2.ok) {
      conn.waitReadable(task);
      return 'sleep';
    }
    if (r2.bytes === 0) return 'exit';
    received += r2.bytes;
    if (r2.data !== null) got.push(r2.data);
    return 'run';
  });
  const sock = from.stack.tcpSocket();
  let sent = 0;
  let connected = false;
  from.host.createUserTask('tx', (ctx: ExecContext, task): TaskStep => {
    if (!connected) {
      const c = sock.connect(ctx, { addr: to.ip, port: 5001 });
      connected = true;
      if (!c.ok && c.errno !== 'EINPROGRESS' && c.errno !== 'EAGAIN') throw new Error(`connect ${c.errno}`);
      sock.waitWritable(task);
      return 'sleep';
    }
    if (sent >= total) {
      sock.close(ctx);
      return 'exit';
    }
    const n = Math.min(chunk, total - sent);
    const w = sock.send(ctx, options.functional ? pattern(sent, n) : n);
    if (!w.ok) {
      sock.waitWritable(task);
      return 'sleep';
    }
    sent += w.bytes;
    options.onSent?.(sent);
    return 'run';
  });
  return { received: () => received, data: () => got, done: () => received >= total };
}

/** Concatenate chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

/** Compare two byte arrays quickly; the index of the first difference, or -1 (also -1 when equal length and content). */
export function firstDiff(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** Whether every queue of `side` has its QP link up and its subqueue running. */
export function queuesRunning(side: Side): boolean {
  return side.nd.queues.every((q) => q.qp.linkQuery() && !side.nd.ndev.netifTxQueueStopped(q.qid));
}

/**
 * `ethtool -L ntb0 combined N` on both hosts, one queue at a time (EP, then RC), waiting up to
 * 1 s of virtual time after each step until every queue's QP link is up on both hosts; returns
 * the set_channels return codes. (One at a time: growing by several QPs at the same instant on
 * both hosts can leave one QP link down for good, the QP_LINKS read-modify-write of
 * ntb_qp_link_work; ntb-transport's overEpf test shows it, and the `qpLinksOwnBits` switch.)
 */
export function growChannels(r: Rig, combined: number): number[] {
  const rcs: number[] = [];
  for (let n = r.ep.nd.queues.length + 1; n <= combined; n++) {
    for (const s of [r.ep, r.rc]) rcs.push(s.nd.setChannels({ combinedCount: n }));
    const t0 = r.sim.now;
    while (!(queuesRunning(r.ep) && queuesRunning(r.rc)) && r.sim.now < t0 + 1e9) r.sim.run({ until: r.sim.now + 1e6 });
  }
  return rcs;
}

/** `ping -c 1 -s size` from `from` to `to`: the reply's payload length, or -1 without a reply within `waitNs`. */
export function pingOnce(r: Rig, from: Side, to: Side, size = 100, waitNs = 100e6): number {
  const sock = from.stack.pingSocket();
  let sent = false;
  let got = -1;
  from.host.createUserTask('ping', (ctx, task): TaskStep => {
    if (!sent) {
      sent = true;
      if (!sock.sendEcho(ctx, { addr: to.ip, seq: 1, data: size }).ok) return 'exit';
    }
    const g = sock.recv(ctx);
    if (!g.ok) {
      sock.waitReadable(task);
      return 'sleep';
    }
    got = g.bytes;
    return 'exit';
  });
  r.sim.run({ until: r.sim.now + waitNs });
  return got;
}
