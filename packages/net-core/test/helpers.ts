/**
 * Test fixtures: two hosts joined by a veth pair with addresses 10.0.0.1/24 and 10.0.0.2/24,
 * and user tasks that run a bulk TCP transfer (an iperf3-like writer and reader).
 */
import { createHost, createSimulation, extendProfile, getProfile, type ExecContext, type Host, type Simulation, type Task, type TaskStep } from '@ntbsim/kernel';
import { createNetStack, createVethPair, parseIpv4, type NetStack, type NetStackOptions, type Skb, type TcpSocket, type VethOptions, type VethPair } from '../src/index.js';

/** Two hosts, their stacks and a veth pair between them, both ends up. */
export interface Lab {
  readonly sim: Simulation;
  readonly a: Host;
  readonly b: Host;
  readonly sa: NetStack;
  readonly sb: NetStack;
  readonly veth: VethPair;
}

/** Options of `makeLab`. */
export interface LabOptions {
  readonly seed?: number;
  readonly cpus?: number;
  /** Keep the profile's noise (run-to-run spread and per-copy jitter). Default false. */
  readonly noise?: boolean;
  readonly veth?: VethOptions;
  readonly stack?: NetStackOptions;
  /**
   * 'static' (default): each side holds a permanent ARP entry for the other (`ip neigh replace …
   * nud permanent`), so the tests of the layers above count their own packets only; 'dynamic':
   * the tables start empty and ARP resolves the peer.
   */
  readonly arp?: 'static' | 'dynamic';
}

/** Build a two-host lab (rcar-s4 costs, optionally without noise). */
export function makeLab(options: LabOptions = {}): Lab {
  const sim = createSimulation({ seed: options.seed ?? 1 });
  const base = getProfile('rcar-s4');
  const profile = extendProfile(base, {
    cpu: { count: { value: options.cpus ?? 4 } },
    ...(options.noise === true ? {} : { noise: { runScaleSd: { value: 0 }, chargeJitterSd: { value: 0 } } }),
  });
  const a = createHost(sim, { name: 'rc', profile });
  const b = createHost(sim, { name: 'ep', profile });
  const sa = createNetStack(a, options.stack ?? {});
  const sb = createNetStack(b, options.stack ?? {});
  const veth = createVethPair(a, b, options.veth ?? {});
  sa.ipAddrAdd(veth.a.dev, '10.0.0.1/24');
  sb.ipAddrAdd(veth.b.dev, '10.0.0.2/24');
  veth.a.dev.open();
  veth.b.dev.open();
  if (options.arp !== 'dynamic') {
    sa.arp.replace(veth.a.dev, parseIpv4('10.0.0.2'), { lladdr: veth.b.dev.devAddr, state: 'PERMANENT' });
    sb.arp.replace(veth.b.dev, parseIpv4('10.0.0.1'), { lladdr: veth.a.dev.devAddr, state: 'PERMANENT' });
  }
  return { sim, a, b, sa, sb, veth };
}

/** A listener (`listener`, a new socket by default) on lab.b at `port`, backlog 8, and a user task accepting one connection: `server()` once accepted. */
export function acceptOne(lab: Lab, port: number, listener: TcpSocket = lab.sb.tcpSocket()): { listener: TcpSocket; server: () => TcpSocket | null } {
  if (!listener.bind(port).ok || !listener.listen(8).ok) throw new Error(`acceptOne: cannot listen on ${port}`);
  let server: TcpSocket | null = null;
  lab.b.createUserTask('accept', (_ctx, task) => {
    const r = listener.accept();
    if (!r.ok) {
      listener.waitReadable(task);
      return 'sleep';
    }
    server = r.sock;
    return 'exit';
  });
  return { listener, server: () => server };
}

/** A user task on lab.a connecting `client` (a new socket by default) to `addr`:`port`, until it is connected or the attempt failed. */
export function connectOnce(lab: Lab, addr: string, port: number, client: TcpSocket = lab.sa.tcpSocket()): TcpSocket {
  lab.a.createUserTask('connect', (ctx, task) => {
    const r = client.connect(ctx, { addr, port });
    if (!r.ok && (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY')) {
      client.waitWritable(task);
      return 'sleep';
    }
    return 'exit';
  });
  return client;
}

/** What a bulk transfer did. */
export interface BulkResult {
  /** Bytes the reader got. */
  received: number;
  /** The bytes the reader got (functional mode). */
  data: Uint8Array | null;
  /** Virtual time the reader saw end of stream (ns), or -1. */
  doneAt: number;
  /** Virtual time the connection was established at the writer (ns). */
  connectedAt: number;
  /** The writer's socket. */
  client: TcpSocket | null;
  /** The reader's socket. */
  server: TcpSocket | null;
  /** An error either side saw. */
  error: string | null;
}

/** Options of `startBulk`. */
export interface BulkOptions {
  /** Total bytes to send. */
  readonly bytes: number;
  /** Bytes per write (iperf3 -l). Default 128 KiB. */
  readonly writeSize?: number;
  /** Bytes per read. Default 128 KiB. */
  readonly readSize?: number;
  /** Carry real bytes (functional mode). Default false. */
  readonly functional?: boolean;
  /** Use sendfile (iperf3 -Z). */
  readonly sendfile?: boolean;
  /** SO_SNDBUF/SO_RCVBUF on both sides (iperf3 -w). */
  readonly window?: number;
  /** Port. Default 5201. */
  readonly port?: number;
  /** Configure the client socket before connecting. */
  readonly setup?: (sock: TcpSocket) => void;
  /** Writer CPU mask. */
  readonly clientCpus?: number;
  /** Reader CPU mask. */
  readonly serverCpus?: number;
  /** The reader sleeps this long after accepting before its first read (ns): a stalled application. */
  readonly readerDelayNs?: number;
  /** The writer runs on `lab.b` too, connecting to its own 10.0.0.2 (through lo). Default false. */
  readonly sameHost?: boolean;
}

/** The byte at stream offset `i` of the test pattern. */
export function patternByte(i: number): number {
  return (i * 7 + (i >>> 8) * 13 + 5) & 0xff;
}

/** The test pattern for stream offsets [off, off + len). */
export function pattern(off: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  for (let i = 0; i < len; i++) b[i] = patternByte(off + i);
  return b;
}

/** Whether `a` holds exactly the bytes of `b` (null: nothing was captured). */
export function sameBytes(a: Uint8Array | null, b: Uint8Array): boolean {
  return a !== null && Buffer.from(a).equals(Buffer.from(b));
}

/** Start an iperf3-like transfer from `lab.a` (client, 10.0.0.1; `lab.b` itself with `sameHost`) to `lab.b` (server, 10.0.0.2). */
export function startBulk(lab: Lab, o: BulkOptions): BulkResult {
  const res: BulkResult = { received: 0, data: o.functional === true ? new Uint8Array(o.bytes) : null, doneAt: -1, connectedAt: -1, client: null, server: null, error: null };
  const port = o.port ?? 5201;
  const writeSize = o.writeSize ?? 131072;
  const readSize = o.readSize ?? 131072;
  const listener = lab.sb.tcpSocket();
  listener.setReuseAddr(true);
  if (o.window !== undefined) {
    listener.setSndbuf(o.window);
    listener.setRcvbuf(o.window);
  }
  const lr = listener.bind(port);
  if (!lr.ok) throw new Error(`bind: ${lr.errno}`);
  listener.listen(16);
  let conn: TcpSocket | null = null;
  lab.b.createUserTask(
    'reader',
    (ctx: ExecContext, task: Task): TaskStep => {
      if (conn === null) {
        const r = listener.accept();
        if (!r.ok) {
          listener.waitReadable(task);
          return 'sleep';
        }
        conn = r.sock;
        res.server = conn;
        listener.close();
        if (o.readerDelayNs !== undefined) return o.readerDelayNs;
      }
      const r = conn.recv(ctx, readSize);
      if (!r.ok) {
        if (r.errno === 'EAGAIN') {
          conn.waitReadable(task);
          return 'sleep';
        }
        res.error = `reader: ${r.errno}`;
        return 'exit';
      }
      if (r.bytes === 0) {
        res.doneAt = ctx.time;
        conn.close(ctx);
        return 'exit';
      }
      if (res.data !== null && r.data !== null && res.received + r.bytes <= res.data.length) res.data.set(r.data, res.received);
      res.received += r.bytes;
      return 'run';
    },
    o.serverCpus === undefined ? {} : { cpus: o.serverCpus },
  );
  const [writerHost, writerStack] = o.sameHost === true ? [lab.b, lab.sb] : [lab.a, lab.sa];
  const sock = writerStack.tcpSocket();
  res.client = sock;
  if (o.window !== undefined) {
    sock.setSndbuf(o.window);
    sock.setRcvbuf(o.window);
  }
  o.setup?.(sock);
  let sent = 0;
  let phase: 'connect' | 'send' | 'done' = 'connect';
  writerHost.createUserTask(
    'writer',
    (ctx: ExecContext, task: Task): TaskStep => {
      if (phase === 'connect') {
        const r = sock.connect(ctx, { addr: '10.0.0.2', port });
        if (!r.ok) {
          if (r.errno === 'EINPROGRESS' || r.errno === 'EALREADY') {
            sock.waitWritable(task);
            return 'sleep';
          }
          res.error = `connect: ${r.errno}`;
          return 'exit';
        }
        res.connectedAt = ctx.time;
        phase = 'send';
      }
      if (sent >= o.bytes) {
        sock.close(ctx);
        return 'exit';
      }
      const n = Math.min(writeSize, o.bytes - sent);
      const payload = o.functional === true ? pattern(sent, n) : n;
      const r = o.sendfile === true ? sock.sendfile(ctx, payload) : sock.send(ctx, payload);
      if (!r.ok) {
        if (r.errno === 'EAGAIN') {
          sock.waitWritable(task);
          return 'sleep';
        }
        res.error = `writer: ${r.errno}`;
        return 'exit';
      }
      sent += r.bytes;
      return 'run';
    },
    o.clientCpus === undefined ? {} : { cpus: o.clientCpus },
  );
  return res;
}

/** A loss hook dropping the TCP data segments whose 0-based index (among data segments sent from that end) is in `drops`. */
export function dropDataSegments(drops: ReadonlySet<number>): { readonly fn: (skb: Skb) => boolean; readonly seen: () => number } {
  let n = 0;
  return {
    fn: (skb: Skb) => {
      if (skb.l4.kind !== 'tcp' || skb.payloadLen === 0) return false;
      return drops.has(n++);
    },
    seen: () => n,
  };
}

/** Run `sim` one event at a time, calling `watch` after each, until `done()` or `maxEvents`. */
export function stepWatch(sim: Simulation, watch: () => boolean | undefined, maxEvents = 2_000_000): number {
  let n = 0;
  while (n < maxEvents && sim.pending) {
    sim.run({ maxEvents: 1 });
    n++;
    if (watch() === true) break;
  }
  return n;
}

/** A user task running `steps` in order: each returns 'next' to advance, or a TaskStep to stay on it. */
export function script(host: Host, name: string, steps: readonly ((ctx: ExecContext, task: Task) => TaskStep | 'next')[]): Task {
  let i = 0;
  return host.createUserTask(name, (ctx, task) => {
    for (;;) {
      const f = steps[i];
      if (f === undefined) return 'exit';
      const r = f(ctx, task);
      if (r !== 'next') return r;
      i++;
    }
  });
}
