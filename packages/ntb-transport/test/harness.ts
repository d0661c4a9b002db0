import { createHost, createSimulation, extendProfile, getProfile, type ExecContext, type Host, type Simulation } from '@ntbsim/kernel';
import { createNtbBus, type NtbBus } from '@ntbsim/ntb-core';
import { createNtbTransportClient, TransportBus, type NtbTransport, type TransportParams, type TransportQp } from '../src/index.js';
import { createLoopbackPair, type LoopbackOptions, type LoopbackPair } from './loopbackNtb.js';

export interface Side {
  readonly host: Host;
  readonly transport: NtbTransport;
  /** The host's NTB bus the transport client is registered on. */
  readonly ntbBus: NtbBus;
  /** The ntb_transport client (unregister it to remove the transport). */
  readonly client: ReturnType<typeof createNtbTransportClient>;
  /** Frames received per QP, in order: their bytes (functional) or lengths. */
  readonly received: Map<number, { len: number; data: Uint8Array | null }[]>;
  /** Frames whose TX completed, per QP. */
  readonly sent: Map<number, number>;
  /** The `cb` of every TX completion, per QP, in order. */
  readonly completed: Map<number, unknown[]>;
  /** QP link events (event_handler status), per QP, in order. */
  readonly events: Map<number, number[]>;
  qps: TransportQp[];
}

export interface Rig {
  readonly sim: Simulation;
  readonly pair: LoopbackPair;
  readonly a: Side;
  readonly b: Side;
  /** Whether clients move real payload bytes. */
  readonly functional: boolean;
}

/** Run `fn` inside a kthread step on `host` (so it has an ExecContext). */
export function inTask(host: Host, fn: (ctx: ExecContext) => void): void {
  host.createKthread('test', (ctx) => {
    fn(ctx);
    return 'exit';
  });
}

/** Two quiet hosts joined by a loopback NTB, a transport on each, queues created, links up. */
export function rig(opts: { seed?: number; functional?: boolean; params?: Partial<TransportParams>; paramsB?: Partial<TransportParams>; lb?: LoopbackOptions; queues?: number; rxBuffers?: number; rxLen?: number; noise?: boolean } = {}): Rig {
  const sim = createSimulation({ seed: opts.seed ?? 7 });
  const base = getProfile('rcar-s4');
  const profile = opts.noise === true ? base : extendProfile(base, { noise: { runScaleSd: { value: 0 }, chargeJitterSd: { value: 0 } } });
  const ha = createHost(sim, { name: 'rc', profile });
  const hb = createHost(sim, { name: 'ep', profile });
  const pair = createLoopbackPair({ a: ha, b: hb }, opts.lb);
  const mk = (host: Host, dev: typeof pair.a, params: Partial<TransportParams> | undefined): Side => {
    const bus = new TransportBus();
    const client = createNtbTransportClient({ bus, params: params ?? {} });
    createNtbBus().registerDevice(dev);
    const nbus = createNtbBus();
    nbus.registerClient(client);
    nbus.registerDevice(dev);
    const transport = bus.transports[0];
    if (transport === undefined) throw new Error('transport did not probe');
    return { host, transport, ntbBus: nbus, client, received: new Map(), sent: new Map(), completed: new Map(), events: new Map(), qps: [] };
  };
  const a = mk(ha, pair.a, opts.params);
  const b = mk(hb, pair.b, opts.paramsB ?? opts.params);
  const queues = opts.queues ?? 1;
  for (const side of [a, b]) {
    for (let i = 0; i < queues; i++) {
      const qp = side.transport.createQueue({
        rx: (q, cb, len, ctx) => {
          const list = side.received.get(q.qpNum) ?? [];
          list.push({ len, data: cb instanceof Uint8Array ? cb.slice(0, Math.max(0, len)) : null });
          side.received.set(q.qpNum, list);
          const buf = cb instanceof Uint8Array ? cb : null;
          q.rxEnqueue(buf, buf, opts.rxLen ?? 65536, ctx);
        },
        tx: (q, cb) => {
          side.sent.set(q.qpNum, (side.sent.get(q.qpNum) ?? 0) + 1);
          side.completed.set(q.qpNum, [...(side.completed.get(q.qpNum) ?? []), cb]);
        },
        event: (status) => {
          const list = side.events.get(i) ?? [];
          list.push(status);
          side.events.set(i, list);
        },
      });
      if (qp === null) throw new Error('no free QP');
      side.qps.push(qp);
      const functional = opts.functional === true;
      for (let n = 0; n < (opts.rxBuffers ?? 100); n++) {
        const buf = functional ? new Uint8Array(opts.rxLen ?? 65536) : null;
        qp.rxEnqueue(buf, buf, opts.rxLen ?? 65536);
      }
      qp.linkUp();
    }
  }
  return { sim, pair, a, b, functional: opts.functional === true };
}

/** Run until every QP of both sides is up (or `limitNs` passes). */
export function runUntilUp(r: Rig, limitNs = 1_000_000_000): boolean {
  const all = (): boolean => [...r.a.qps, ...r.b.qps].every((q) => q.linkQuery());
  while (!all() && r.sim.now < limitNs && r.sim.pending) r.sim.run({ until: Math.min(limitNs, r.sim.now + 1_000_000) });
  return all();
}

/** Deterministic payload for frame `n` of length `len`. */
export function payload(n: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  let x = (n * 2654435761) >>> 0;
  for (let i = 0; i < len; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}
