import fc from 'fast-check';
import { KernelError } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { createNetDevice, getRpsCpu, NetError, type Skb } from '../src/index.js';
import { makeLab } from './helpers.js';

describe('NetStack NET_RX', () => {
  it('runs NET_RX on the CPU that took the receive interrupt', () => {
    const lab = makeLab({ cpus: 4 });
    lab.veth.b.rxIrqs[0]?.setAffinity(1 << 2);
    const r = lab.sb.udpSocket();
    r.bind(9);
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 9 });
    let n = 0;
    lab.a.createUserTask('tx', (ctx) => {
      s.send(ctx, 1000);
      return ++n < 50 ? 'run' : 'exit';
    });
    lab.sim.run({ until: 1e9 });
    const st = lab.sb.softnetStat();
    expect(st[2]?.processed).toBe(50);
    expect(st.filter((_, i) => i !== 2).every((x) => x.processed === 0)).toBe(true);
    expect(lab.b.cpu(2).usage().softirq).toBeGreaterThan(0);
    expect(lab.b.cpu(0).usage().softirq).toBe(0);
    expect(lab.veth.b.rxIrqs[0]?.counts[2]).toBeGreaterThan(0);
  });

  it('a packet tap sees every packet taken from the backlog, with its IP header, until removed', () => {
    const lab = makeLab();
    const r = lab.sb.udpSocket();
    r.bind(9);
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 9 });
    const seen: { src: unknown; id: number; len: number }[] = [];
    const remove = lab.sb.addPacketTap((skb) => seen.push({ src: skb.ip.src, id: skb.ip.id, len: skb.l4Len }));
    let n = 0;
    lab.a.createUserTask('tx', (ctx) => (s.send(ctx, 100 + n).ok && ++n < 5 ? 'run' : 'exit'));
    lab.sim.run({ until: 1e9 });
    expect(seen.map((x) => x.len)).toEqual([108, 109, 110, 111, 112]);
    expect(new Set(seen.map((x) => x.id)).size).toBe(5);
    expect(new Set(seen.map((x) => x.src)).size).toBe(1);
    remove();
    lab.a.createUserTask('tx2', (ctx) => (s.send(ctx, 50).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: 2e9 });
    expect(seen).toHaveLength(5);
    expect(lab.sb.softnetStat().reduce((a, x) => a + x.processed, 0)).toBe(6);
  });

  it('a packet handler sees packets sent (at the driver) and received, with device and direction, on its device only when bound', () => {
    const lab = makeLab();
    const r = lab.sb.udpSocket();
    r.bind(9);
    const s = lab.sa.udpSocket();
    s.connect({ addr: '10.0.0.2', port: 9 });
    const seenA: string[] = [];
    const seenB: string[] = [];
    const onLo: string[] = [];
    const removeA = lab.sa.addPacketHandler((skb, dev, dir, ctx) => seenA.push(`${dir} ${dev.name} ${skb.l4Len} ${ctx.time > 0}`));
    lab.sb.addPacketHandler((skb, dev, dir) => seenB.push(`${dir} ${dev.name} ${skb.l4Len}`), { dev: lab.veth.b.dev });
    lab.sb.addPacketHandler((_skb, dev, dir) => onLo.push(`${dir} ${dev.name}`), { dev: lab.sb.loopback });
    const rxOnly: number[] = [];
    lab.sa.addPacketTap((skb) => rxOnly.push(skb.l4Len));
    let n = 0;
    lab.a.createUserTask('tx', (ctx) => (s.send(ctx, 100 + n).ok && ++n < 3 ? 'run' : 'exit'));
    lab.sim.run({ until: 1e9 });
    expect(seenA).toEqual(['out veth0 108 true', 'out veth0 109 true', 'out veth0 110 true'].map((x) => x.replace('veth0', lab.veth.a.dev.name)));
    expect(seenB).toEqual([108, 109, 110].map((l) => `in ${lab.veth.b.dev.name} ${l}`));
    // addPacketTap keeps its received-only view: the sender saw nothing come in.
    expect(rxOnly).toEqual([]);
    // A ping of the host's own address goes through lo (noqueue): the request out and in again, then the reply.
    const ping = lab.sb.pingSocket();
    lab.b.createUserTask('ping', (ctx) => (ping.sendEcho(ctx, { addr: '10.0.0.2', seq: 1, data: 8 }).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: 2e9 });
    expect(onLo).toEqual(['out lo', 'in lo', 'out lo', 'in lo']);
    removeA();
    lab.a.createUserTask('tx2', (ctx) => (s.send(ctx, 50).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: 3e9 });
    expect(seenA).toHaveLength(3);
    expect(seenB).toHaveLength(4);
    expect(lab.sa.nitActive).toBe(true);
  });

  it('drops at the backlog limit and counts softnet dropped and rx_dropped', () => {
    const lab = makeLab({ stack: { sysctl: { netdevMaxBacklog: 4 } } });
    const r = lab.sb.udpSocket();
    r.bind(9);
    for (let cpu = 0; cpu < 4; cpu++) {
      const s = lab.sa.udpSocket();
      s.connect({ addr: '10.0.0.2', port: 9 });
      let n = 0;
      lab.a.createUserTask(`tx${cpu}`, (ctx) => (s.send(ctx, 100).ok && ++n < 10 ? 'run' : 'exit'), { cpus: 1 << cpu });
    }
    lab.sim.run({ until: 1e9 });
    const dropped = lab.sb.softnetStat().reduce((a, x) => a + x.dropped, 0);
    expect(dropped).toBeGreaterThan(0);
    expect(lab.veth.b.dev.stats.rxDropped).toBe(dropped);
    expect(r.queued + dropped).toBe(40);
  });

  it('sets sysctls by /proc/sys name and rejects bad values with NetError', () => {
    const lab = makeLab();
    lab.sa.setSysctl('net.ipv4.tcp_rmem', '4096 65536 1048576');
    expect(lab.sa.sysctl.tcpRmem).toEqual([4096, 65536, 1048576]);
    lab.sa.setSysctl('net.ipv4.tcp_timestamps', 0);
    expect(lab.sa.sysctl.tcpTimestamps).toBe(false);
    expect(() => lab.sa.setSysctl('net.ipv4.tcp_rmem', '3 2 1')).toThrow(NetError);
    expect(() => lab.sa.setSysctl('net.core.nope', 1)).toThrow(/unknown/);
    // A write with no number in it (`echo > /proc/sys/…`) is EINVAL, not 0; the value stays.
    for (const name of ['net.ipv4.tcp_reordering', 'net.ipv4.tcp_rmem', 'net.ipv4.tcp_timestamps']) expect(() => lab.sa.setSysctl(name, ' \n')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect([lab.sa.sysctl.tcpReordering, lab.sa.sysctl.tcpTimestamps]).toEqual([3, false]);
  });

  it('keeps wmem_max/wmem_default at SOCK_MIN_SNDBUF and rmem_max/rmem_default at SOCK_MIN_RCVBUF or above (sysctl_net_core.c extra1)', () => {
    const lab = makeLab();
    const cases = [['net.core.wmem_max', 'wmemMax', 4608], ['net.core.wmem_default', 'wmemDefault', 4608], ['net.core.rmem_max', 'rmemMax', 2304], ['net.core.rmem_default', 'rmemDefault', 2304]] as const;
    for (const [name, key, min] of cases) {
      expect(() => lab.sa.setSysctl(name, min - 1)).toThrow(NetError);
      expect(lab.sa.sysctl[key]).toBe(212992);
      lab.sa.setSysctl(name, min);
      expect(lab.sa.sysctl[key]).toBe(min);
    }
    expect(() => makeLab({ stack: { sysctl: { wmemMax: 1000 } } })).toThrow(/allowed an integer ≥ 4608/);
  });

  it('answers pings through the veth pair', () => {
    const lab = makeLab();
    const p = lab.sa.pingSocket();
    let reply = -1;
    lab.a.createUserTask('ping', (ctx, task) => {
      if (reply === -1) {
        p.sendEcho(ctx, { addr: '10.0.0.2', seq: 7, data: 56 });
        reply = -2;
      }
      const r = p.recv(ctx);
      if (!r.ok) {
        p.waitReadable(task);
        return 'sleep';
      }
      reply = r.seq;
      return 'exit';
    });
    lab.sim.run({ until: 1e9 });
    expect(reply).toBe(7);
    expect(lab.sb.snmp.Icmp.OutEchoReps).toBe(1);
  });
});

describe('unregisterNetdev', () => {
  it('removes a down device and its addresses; refuses an up or unknown one', async () => {
    const { createHost, createSimulation, getProfile } = await import('@ntbsim/kernel');
    const { createNetStack, createNetDevice } = await import('../src/index.js');
    const host = createHost(createSimulation(), { name: 'h', profile: getProfile('rcar-s4') });
    const stack = createNetStack(host);
    const ops = { open: () => 0, stop: () => undefined, startXmit: () => 'ok' as const, changeMtu: () => 0 };
    const dev = createNetDevice(stack, { name: 'ntb0', ops });
    stack.ipAddrAdd(dev, '10.0.0.1/24');
    dev.open();
    expect(() => stack.unregisterNetdev(dev)).toThrow(expect.objectContaining({ code: 'EBUSY' }));
    dev.close();
    stack.unregisterNetdev(dev);
    expect(stack.devices).toEqual([stack.loopback]);
    expect(() => stack.unregisterNetdev(dev)).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    const again = createNetDevice(stack, { name: 'ntb0', ops });
    expect(stack.addressesOf(again)).toEqual([]);
  });
});

describe('MTU below IPV4_MIN_MTU (inetdev_event NETDEV_CHANGEMTU)', () => {
  it('drops the IPv4 addresses at MTU 67, refuses new ones (ENOBUFS) until the MTU is 68 again, and does not bring the old ones back', async () => {
    const { createHost, createSimulation, getProfile } = await import('@ntbsim/kernel');
    const { createNetStack, createNetDevice, IPV4_MIN_MTU, parseIpv4 } = await import('../src/index.js');
    const host = createHost(createSimulation(), { name: 'h', profile: getProfile('rcar-s4') });
    const stack = createNetStack(host);
    const held: { dev: { mtu: number } } = { dev: { mtu: 0 } };
    const ops = {
      open: () => 0,
      stop: () => undefined,
      startXmit: () => 'ok' as const,
      changeMtu: (m: number) => {
        held.dev.mtu = m;
        return 0;
      },
    };
    const dev = createNetDevice(stack, { name: 'ntb0', ops, minMtu: 0, maxMtu: 65535, mtu: 1500 });
    held.dev = dev;
    const other = createNetDevice(stack, { name: 'eth0', ops, mtu: 1500 });
    stack.ipAddrAdd(dev, '10.0.0.1/24');
    stack.ipAddrAdd(other, '192.168.0.1/24');
    dev.open();
    other.open();
    expect(IPV4_MIN_MTU).toBe(68);
    dev.setMtu(68);
    expect(stack.addressesOf(dev)).toEqual(['10.0.0.1/24']);
    dev.setMtu(67);
    expect(dev.mtu).toBe(67);
    expect(stack.addressesOf(dev)).toEqual([]);
    expect(stack.route(parseIpv4('10.0.0.2'))).toBeNull();
    expect(stack.addressesOf(other)).toEqual(['192.168.0.1/24']);
    expect(() => stack.ipAddrAdd(dev, '10.0.0.1/24')).toThrow(expect.objectContaining({ code: 'ENOBUFS' }));
    dev.setMtu(1500);
    expect(stack.addressesOf(dev)).toEqual([]);
    stack.ipAddrAdd(dev, '10.0.0.1/24');
    expect(stack.route(parseIpv4('10.0.0.2'))?.dev).toBe(dev);
  });
});

describe('RPS (rps_cpus, get_rps_cpu, enqueue_to_backlog on another CPU)', () => {
  /** `flows` UDP senders on lab.a (source ports 4000+i) of `per` datagrams each (sizes 100+seq) to port 9 on lab.b, its veth RX queue 0 on CPU 0. */
  function rpsRun(mask: number, flows: number, per: number): { lab: ReturnType<typeof makeLab>; seen: { flow: number; seq: number; cpu: number; want: number }[]; received: number } {
    const lab = makeLab({ cpus: 4 });
    lab.veth.b.rxIrqs[0]?.setAffinity(1);
    lab.veth.b.dev.setRpsCpus(0, mask);
    const seen: { flow: number; seq: number; cpu: number; want: number }[] = [];
    lab.sb.addPacketHandler(
      (skb: Skb, dev, dir, ctx) => {
        if (dir !== 'in' || skb.l4.kind !== 'udp') return;
        seen.push({ flow: skb.l4.sport - 4000, seq: skb.l4Len - 8 - 100, cpu: ctx.cpu.id, want: getRpsCpu(dev, skb)?.id ?? -1 });
      },
      { dev: lab.veth.b.dev },
    );
    const r = lab.sb.udpSocket();
    r.bind(9);
    let received = 0;
    lab.b.createUserTask('rx', (ctx) => {
      while (r.recv(ctx, 65_536).ok) received++;
      return 200_000;
    });
    for (let f = 0; f < flows; f++) {
      const s = lab.sa.udpSocket();
      s.bind(4000 + f);
      s.connect({ addr: '10.0.0.2', port: 9 });
      let n = 0;
      lab.a.createUserTask(`tx${f}`, (ctx) => (s.send(ctx, 100 + n).ok && ++n < per ? 'run' : 'exit'));
    }
    lab.sim.run({ until: 2e9 });
    return { lab, seen, received };
  }

  it('each flow goes through the backlog of the CPU its hash picks from the map, by a function call IPI per scheduling of that backlog (received_rps)', () => {
    const { lab, seen, received } = rpsRun(0b1100, 6, 20);
    expect(received).toBe(120);
    expect(seen).toHaveLength(120);
    for (const x of seen) expect(x.cpu).toBe(x.want);
    expect(new Set(seen.map((x) => x.cpu))).toEqual(new Set([2, 3]));
    const st = lab.sb.softnetStat();
    expect(st.map((x) => x.processed)).toEqual([0, 0, seen.filter((x) => x.cpu === 2).length, seen.filter((x) => x.cpu === 3).length]);
    for (const cpu of [2, 3]) {
      expect(st[cpu]?.receivedRps).toBeGreaterThan(0);
      // Each RPS IPI is one of the CPU's function call IPIs (the others are wake-ups).
      expect(lab.b.cpu(cpu).ipis['call-function']).toBeGreaterThanOrEqual(st[cpu]?.receivedRps ?? 0);
    }
    expect(st[0]?.receivedRps).toBe(0);
    // The IPIs' entries are hardirq time on the RPS CPUs; the stack's work is their softirq time.
    expect(lab.b.cpu(2).usage().hardirq).toBeGreaterThan(0);
    expect(lab.b.cpu(2).usage().softirq).toBeGreaterThan(0);
  });

  it('property: any map and flows — every datagram delivered once, in order per flow, each flow on one CPU of the map, the one get_rps_cpu names', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 15 }), fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 12 }), (mask, flows, per) => {
        const { seen, received } = rpsRun(mask, flows, per);
        expect(received).toBe(flows * per);
        for (let f = 0; f < flows; f++) {
          const mine = seen.filter((x) => x.flow === f);
          expect(mine.map((x) => x.seq)).toEqual(Array.from({ length: per }, (_, i) => i));
          expect(new Set(mine.map((x) => x.cpu)).size).toBe(1);
        }
        for (const x of seen) {
          expect(x.cpu).toBe(mask === 0 ? 0 : x.want);
          expect(((mask === 0 ? 1 : mask) >> x.cpu) & 1).toBe(1);
        }
      }),
      { numRuns: 25 },
    );
  });

  it('rps_cpus: the online CPUs of the mask, EINVAL for a mask of offline CPUs only or a queue not in use (nothing changed); fewer real RX queues drop the maps of the others', () => {
    const lab = makeLab({ cpus: 4 });
    const dev = lab.veth.b.dev;
    dev.setRpsCpus(0, 0xff);
    expect(dev.rpsCpus(0)).toBe(0xf);
    expect(() => dev.setRpsCpus(0, 0xf0)).toThrow(KernelError);
    expect(() => dev.setRpsCpus(0, -1)).toThrow(/rps_cpus mask -1: allowed an integer 0\.\.0xffffffff/);
    expect(() => dev.setRpsCpus(dev.realNumRxQueues, 1)).toThrow(NetError);
    expect(dev.rpsCpus(0)).toBe(0xf);
    dev.setRpsCpus(0, 0);
    expect(dev.rpsCpus(0)).toBe(0);
    const mq = createNetDevice(lab.sb, { name: 'mq0', ops: { open: () => 0, stop: () => undefined, startXmit: () => 'ok' }, numTxQueues: 4 });
    [1, 2, 4, 8].forEach((m, q) => mq.setRpsCpus(q, m));
    mq.netifSetRealNumRxQueues(2);
    expect(() => mq.rpsCpus(2)).toThrow(NetError);
    mq.netifSetRealNumRxQueues(4);
    expect([0, 1, 2, 3].map((q) => mq.rpsCpus(q))).toEqual([1, 2, 0, 0]);
  });
});

describe('RFS (rps_sock_flow_entries, rps_flow_cnt)', () => {
  it('net.core.rps_sock_flow_entries rounds up to a power of 2, at most 2^29 (EINVAL past it, nothing changed); rps_flow_cnt likewise, ENOMEM past the board\'s memory', () => {
    const lab = makeLab({ cpus: 4 });
    lab.sb.setSysctl('net.core.rps_sock_flow_entries', '30000');
    expect(lab.sb.sysctl.rpsSockFlowEntries).toBe(32768);
    expect(() => lab.sb.setSysctl('net.core.rps_sock_flow_entries', 2 ** 29 + 1)).toThrow(NetError);
    expect(lab.sb.sysctl.rpsSockFlowEntries).toBe(32768);
    lab.sb.setSysctl('net.core.rps_sock_flow_entries', 2 ** 29);
    expect(lab.sb.sysctl.rpsSockFlowEntries).toBe(2 ** 29);
    lab.sb.setSysctl('net.core.rps_sock_flow_entries', 0);
    expect(lab.sb.sysctl.rpsSockFlowEntries).toBe(0);
    const dev = lab.veth.b.dev;
    dev.setRpsFlowCnt(0, 1000);
    expect(dev.rpsFlowCnt(0)).toBe(1024);
    expect(() => dev.setRpsFlowCnt(0, 2 ** 32 + 1)).toThrow(/rps_flow_cnt 4294967297: allowed an integer 0\.\.4294967296/);
    expect(() => dev.setRpsFlowCnt(0, 2 ** 30)).toThrow(expect.objectContaining({ code: 'ENOMEM' }) as Error);
    expect(dev.rpsFlowCnt(0)).toBe(1024);
    dev.setRpsFlowCnt(0, 0);
    expect(dev.rpsFlowCnt(0)).toBe(0);
  });

  /**
   * A connected UDP flow from lab.a to a connected socket on lab.b (RX interrupt on CPU 0), read
   * by a task pinned to `first`, then, from datagram `switchAt`, by one pinned to `second`. Returns
   * the CPU each datagram's NET_RX ran on and the order the readers got them in. Datagram k has
   * 100 + k bytes: `n` ≤ 1372 keeps them unfragmented (a fragment hashes without its ports, and
   * the reassembled datagram carries no hash, so RFS cannot steer them).
   */
  function rfsRun(opts: { rfs: boolean; first: number; second: number; switchAt: number; n: number; hogNs?: number }): { cpus: number[]; order: number[] } {
    const lab = makeLab({ cpus: 4 });
    lab.veth.b.rxIrqs[0]?.setAffinity(1);
    if (opts.rfs) {
      lab.sb.setSysctl('net.core.rps_sock_flow_entries', 4096);
      lab.veth.b.dev.setRpsFlowCnt(0, 256);
    }
    const cpus: number[] = [];
    lab.sb.addPacketHandler((skb: Skb, _dev, dir, ctx) => {
      if (dir === 'in' && skb.l4.kind === 'udp') cpus.push(ctx.cpu.id);
    });
    const r = lab.sb.udpSocket();
    r.bind(9);
    r.connect({ addr: '10.0.0.1', port: 4000 });
    const order: number[] = [];
    // The first reader hands over to the second once it has read `switchAt` datagrams.
    const reader = (cpu: number, until: number, then: (() => void) | null) =>
      lab.b.createUserTask(`rx${cpu}`, (ctx) => {
        while (order.length < until) {
          const got = r.recv(ctx, 65_536);
          if (!got.ok) break;
          order.push(got.bytes - 100);
        }
        if (order.length < until) return 20_000;
        then?.();
        return 'exit';
      }, { cpus: 1 << cpu });
    // At the hand-over, softirq work holds the first reader's CPU for `hogNs`, and the new reader
    // starts 1 ms later: the flow's packets wait in that CPU's backlog as the new reader records its own CPU.
    const hog = lab.b.createTasklet('hog', (ctx) => {
      ctx.charge(opts.hogNs ?? 0);
      return false;
    });
    reader(opts.first, opts.switchAt, () => {
      if ((opts.hogNs ?? 0) > 0) hog.schedule(lab.b.cpu(opts.first));
      lab.sim.at(lab.sim.now + 1e6, () => reader(opts.second, opts.n, null));
    });
    const s = lab.sa.udpSocket();
    s.bind(4000);
    s.connect({ addr: '10.0.0.2', port: 9 });
    let k = 0;
    lab.a.createUserTask('tx', (ctx) => (s.send(ctx, 100 + k).ok && ++k < opts.n ? 15_000 : 'exit'));
    lab.sim.run({ until: 2e9 });
    return { cpus, order };
  }

  it("steers a connected flow's NET_RX to the CPU its reader runs on, and follows the reader to a new CPU without reordering", () => {
    const { cpus, order } = rfsRun({ rfs: true, first: 2, second: 3, switchAt: 600, n: 1300, hogNs: 3e6 });
    expect(order).toEqual(Array.from({ length: 1300 }, (_, i) => i));
    // Before the first read the flow has no CPU (the interrupt's, 0); then 2; after the move, 3.
    expect(cpus.slice(50, 500).every((c) => c === 2)).toBe(true);
    expect(cpus.slice(-500).every((c) => c === 3)).toBe(true);
    expect(new Set(cpus)).toEqual(new Set([0, 2, 3]));
    // Without RFS, all of it on the interrupt's CPU.
    expect(new Set(rfsRun({ rfs: false, first: 2, second: 3, switchAt: 600, n: 1000 }).cpus)).toEqual(new Set([0]));
  });

  it('property: wherever the readers run and whenever they change, every datagram once and in order, and NET_RX moves only forward: the interrupt\'s CPU, the first reader\'s, the second\'s', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 400 }), fc.integer({ min: 0, max: 3_000_000 }), (first, second, switchAt, hogNs) => {
        const n = 500;
        const { cpus, order } = rfsRun({ rfs: true, first, second, switchAt, n, hogNs });
        expect(order).toEqual(Array.from({ length: n }, (_, i) => i));
        // The CPUs NET_RX ran on, run by run: a subsequence of [0, first, second] (a flow whose old
        // backlog is held keeps going there until it drains, and never goes back).
        const runs = cpus.filter((c, i) => i === 0 || cpus[i - 1] !== c);
        const path = [0, first, second].filter((c, i, a) => i === 0 || a[i - 1] !== c);
        let at = 0;
        for (const c of runs) {
          while (at < path.length && path[at] !== c) at++;
          expect(at).toBeLessThan(path.length);
        }
      }),
      { numRuns: 20 },
    );
  });
});
