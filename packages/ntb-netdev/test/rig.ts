import { createHost, createSimulation, getProfile, type ExecContext, type Host, type Simulation, type TaskStep } from '@ntbsim/kernel';
import { createNetStack, type NetStack, type TcpSocket } from '@ntbsim/net-core';
import { createEpfPair, type DoorbellMode } from '@ntbsim/ntb-hw-epf';
import { createNtbTransportClient, TransportBus, type TransportParams } from '@ntbsim/ntb-transport';
import { loadNtbNetdev, type NtbNetdev, type NtbNetdevOptions } from '../src/index.js';

export interface Side {
  readonly host: Host;
  readonly stack: NetStack;
  readonly nd: NtbNetdev;
  readonly ip: string;
}

export interface Rig {
  readonly sim: Simulation;
  readonly rc: Side;
  readonly ep: Side;
}

/** Two hosts over the R-Car S4 EPF model, ntb_transport and ntb_netdev, addresses set, ntb0 up. */
export function rig(opts: { seed?: number; mws?: number; mwSize?: number; doorbell?: DoorbellMode; transport?: Partial<TransportParams>; netdev?: NtbNetdevOptions } = {}): Rig {
  const sim = createSimulation({ seed: opts.seed ?? 1 });
  const profile = getProfile('rcar-s4');
  const hosts = { rc: createHost(sim, { name: 'rc', profile }), ep: createHost(sim, { name: 'ep', profile }) };
  const mws = opts.mws ?? 1;
  const pair = createEpfPair({ rc: hosts.rc, ep: hosts.ep, doorbell: { rc: opts.doorbell ?? 'per-bit', ep: opts.doorbell ?? 'per-bit' }, vntb: { mwSizes: Array.from({ length: mws }, () => opts.mwSize ?? 1 << 20) } });
  const buses = { rc: new TransportBus(), ep: new TransportBus() };
  pair.buses.rc.registerClient(createNtbTransportClient({ bus: buses.rc, params: opts.transport ?? {} }));
  pair.buses.ep.registerClient(createNtbTransportClient({ bus: buses.ep, params: opts.transport ?? {} }));
  while ((buses.rc.transports.length === 0 || buses.ep.transports.length === 0) && sim.now < 1e9) sim.run({ until: sim.now + 1e6 });
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
    return { host, stack, nd, ip };
  };
  const r = { sim, rc: mk('rc', '10.0.0.1'), ep: mk('ep', '10.0.0.2') };
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
