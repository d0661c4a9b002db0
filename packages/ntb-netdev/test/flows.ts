import type { ExecContext, TaskStep } from '@ntbsim/kernel';
import type { TcpSocket, UdpSocket } from '@ntbsim/net-core';
import { pattern, type Rig, type Side } from './rig.js';

/** One TCP flow of `tcpFlows`: its two sockets and what crossed. */
export interface Flow {
  /** Flow index (0..n-1); the flow uses port `basePort + index`. */
  readonly index: number;
  /** The connecting (sending) socket. */
  readonly client: TcpSocket;
  /** The accepted socket on the receiver, once accepted. */
  server: TcpSocket | null;
  /** Bytes the sender handed to send(). */
  sent: number;
  /** Bytes the receiver got. */
  received: number;
  /** The received chunks (functional mode). */
  readonly chunks: Uint8Array[];
}

/** The stream bytes of flow `index` at stream offset `off` (each flow its own pattern, so mixed-up flows show). */
export function flowPattern(index: number, off: number, len: number): Uint8Array {
  return pattern(index * 1_000_003 + off, len);
}

/**
 * `flows` TCP bulk transfers of `bytes` each from `from` to `to`, flow i on port `basePort + i`
 * (its own listener and receiver task); the sender of flow i runs on the CPUs of `cpus(i)`
 * (default: any). Each sender closes its socket after the last byte.
 */
export function tcpFlows(
  r: Rig,
  from: Side,
  to: Side,
  options: { flows: number; bytes: number; functional: boolean; basePort?: number; chunk?: number; cpus?: (index: number) => number | undefined },
): { flows: Flow[]; done: () => boolean } {
  const basePort = options.basePort ?? 6000;
  const chunk = options.chunk ?? 65_480;
  const total = options.bytes;
  const flows: Flow[] = [];
  for (let i = 0; i < options.flows; i++) {
    const flow: Flow = { index: i, client: from.stack.tcpSocket(), server: null, sent: 0, received: 0, chunks: [] };
    flows.push(flow);
    const listener = to.stack.tcpSocket();
    listener.bind(basePort + i);
    listener.listen();
    to.host.createUserTask(`rx${i}`, (ctx, task): TaskStep => {
      if (flow.server === null) {
        const a = listener.accept();
        if (!a.ok) {
          listener.waitReadable(task);
          return 'sleep';
        }
        flow.server = a.sock;
      }
      const g = flow.server.recv(ctx, 1 << 20);
      if (!g.ok) {
        flow.server.waitReadable(task);
        return 'sleep';
      }
      if (g.bytes === 0) return 'exit';
      flow.received += g.bytes;
      if (g.data !== null) flow.chunks.push(g.data);
      return 'run';
    });
    let connected = false;
    const sock = flow.client;
    const cpus = options.cpus?.(i);
    from.host.createUserTask(
      `tx${i}`,
      (ctx: ExecContext, task): TaskStep => {
        if (!connected) {
          connected = true;
          const c = sock.connect(ctx, { addr: to.ip, port: basePort + i });
          if (!c.ok && c.errno !== 'EINPROGRESS' && c.errno !== 'EAGAIN') throw new Error(`connect ${c.errno}`);
          sock.waitWritable(task);
          return 'sleep';
        }
        if (flow.sent >= total) {
          sock.close(ctx);
          return 'exit';
        }
        const n = Math.min(chunk, total - flow.sent);
        const w = sock.send(ctx, options.functional ? flowPattern(i, flow.sent, n) : n);
        if (!w.ok) {
          sock.waitWritable(task);
          return 'sleep';
        }
        flow.sent += w.bytes;
        return 'run';
      },
      cpus === undefined ? {} : { cpus },
    );
  }
  return { flows, done: () => flows.every((f) => f.received >= total) };
}

/**
 * A UDP flow EP→RC on port `port`: a sink bound on the RC (4 MiB receive buffer) and a connected
 * sender on the EP whose task, pinned to `cpu`, sends `count` datagrams of `size(n)` bytes
 * (the n-th), waiting while the socket is full. Null when the connect fails.
 */
export function udpSender(r: Rig, opts: { readonly port: number; readonly cpu: number; readonly count: number; readonly size: (n: number) => number }): { readonly s: UdpSocket; readonly sink: UdpSocket } | null {
  const sink = r.rc.stack.udpSocket();
  sink.bind(opts.port);
  sink.setRcvbuf(1 << 22);
  const s = r.ep.stack.udpSocket();
  if (!s.connect({ addr: r.rc.ip, port: opts.port }).ok) return null;
  let sent = 0;
  r.ep.host.createUserTask(
    `udp${opts.port}`,
    (ctx: ExecContext, task): TaskStep => {
      const w = s.send(ctx, opts.size(sent));
      if (!w.ok) {
        s.waitWritable(task);
        return 'sleep';
      }
      return ++sent < opts.count ? 'run' : 'exit';
    },
    { cpus: 1 << opts.cpu },
  );
  return { s, sink };
}
