import { ERRNO } from '@ntbsim/kernel';
import { createNetStack, netdevFeatures, NETIF_F, type NetDevStats } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import { loadNtbNetdev, TX_START, TX_STOP, type NtbNetdev } from '../src/index.js';
import { concat, firstDiff, growChannels, pattern, pingOnce, queuesRunning, rig, tcpTransfer, transportPair } from './rig.js';

describe('ntb_netdev probe and link', () => {
  it('MTU = max_size - ETH_HLEN, one queue, carrier on when the QP is up, ethtool basics', () => {
    const r = rig();
    for (const s of [r.rc, r.ep]) {
      expect(s.nd.ndev.mtu).toBe(65510);
      expect(s.nd.queues).toHaveLength(1);
      expect(s.nd.ndev.realNumTxQueues).toBe(1);
      expect(s.nd.ndev.numTxQueues).toBe(64);
      expect(s.nd.ndev.netifCarrierOk()).toBe(true);
      expect(s.nd.getDrvinfo()).toMatchObject({ driver: 'ntb_netdev', version: '0.7', busInfo: s.nd.transport.dev.name });
      expect(s.nd.getChannels()).toEqual({ maxRx: 0, maxTx: 0, maxOther: 0, maxCombined: 64, rxCount: 0, txCount: 0, otherCount: 0, combinedCount: 1 });
      expect(s.nd.getLinkKsettings()).toMatchObject({ speed: -1, duplex: 'full', port: 'other', autoneg: true });
    }
  });

  it("features as ntb_netdev_probe sets them (HIGHDMA on and changeable) plus register_netdevice's: GSO asked for but off without SG", () => {
    for (const variant of ['mq', 'baseline'] as const) {
      const ndev = rig({ netdev: { variant } }).ep.nd.ndev;
      expect({ variant, features: ndev.features }).toEqual({ variant, features: netdevFeatures('HIGHDMA', 'GRO') });
      expect(ndev.wantedFeatures).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO'));
      expect(ndev.hwFeatures).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO', 'GRO_FRAGLIST', 'GRO_UDP_FWD', 'NOCACHE_COPY'));
      expect(ndev.features & NETIF_F.SG).toBe(0n);
    }
  });

  it('its random address (eth_random_addr) is also its permanent one, different on each board', () => {
    const r = rig();
    for (const s of [r.rc, r.ep]) {
      const { devAddr, permAddr } = s.nd.ndev;
      expect([...permAddr]).toEqual([...devAddr]);
      expect(((devAddr[0] ?? 0) & 0x03) === 0x02).toBe(true);
    }
    expect([...r.rc.nd.ndev.permAddr]).not.toEqual([...r.ep.nd.ndev.permAddr]);
  });

  it('ip link set ntb0 down: mq stops its subqueues and turns the carrier off at once (ntb_netdev_close); v7.0 leaves both until the next open', () => {
    for (const variant of ['mq', 'baseline'] as const) {
      const r = rig({ netdev: { variant } });
      const dev = r.rc.nd.ndev;
      const downs = dev.carrierCounts.down;
      dev.close();
      const mq = variant === 'mq';
      expect({ variant, carrier: dev.netifCarrierOk(), downs: dev.carrierCounts.down - downs, stopped: dev.netifTxQueueStopped(0) }).toEqual({ variant, carrier: !mq, downs: mq ? 1 : 0, stopped: mq });
      expect(dev.open()).toBe(0);
      expect(dev.carrierCounts.down - downs).toBe(1);
      r.sim.run({ until: r.sim.now + 200e6 });
      expect({ variant, carrier: dev.netifCarrierOk(), reply: pingOnce(r, r.rc, r.ep) }).toEqual({ variant, carrier: true, reply: 100 });
    }
  });

  it('the baseline driver has no channel ops', () => {
    const r = rig({ netdev: { variant: 'baseline' } });
    const ops = r.ep.nd.ndev.ethtoolOps as Record<string, unknown>;
    expect(ops.getChannels).toBeUndefined();
    expect(r.ep.nd.setChannels({ combinedCount: 2 })).toBe(-ERRNO.EOPNOTSUPP);
    expect(r.ep.nd.ndev.netifCarrierOk()).toBe(true);
  });

  it('get_drvinfo fills driver, version and bus_info only: n_stats comes from get_sset_count (none on baseline)', () => {
    type Ops = { getDrvinfo: () => object; getSsetCount?: (set: string) => number; getEthtoolStats?: () => number[] };
    const opsOf = (variant: 'baseline' | 'mq'): { ops: Ops; bus: string } => {
      const nd = rig({ netdev: { variant } }).ep.nd;
      return { ops: nd.ndev.ethtoolOps as Ops, bus: nd.transport.dev.name };
    };
    const base = opsOf('baseline');
    expect(base.ops.getDrvinfo()).toEqual({ driver: 'ntb_netdev', version: '0.7', busInfo: base.bus });
    expect(base.ops.getSsetCount).toBeUndefined();
    expect(base.ops.getEthtoolStats).toBeUndefined();
    const mq = opsOf('mq');
    expect(mq.ops.getDrvinfo()).toEqual({ driver: 'ntb_netdev', version: '0.7', busInfo: mq.bus });
    expect(mq.ops.getSsetCount?.('stats')).toBe(9);
    expect(mq.ops.getEthtoolStats?.()).toHaveLength(9);
  });
});

describe('datapath', () => {
  it('a TCP stream crosses ntb0 byte-exact (functional), with the per-queue counters matching the device counters', () => {
    const r = rig({ netdev: { payload: 'functional' } });
    const total = 3_000_000;
    const t = tcpTransfer(r, r.ep, r.rc, total, { functional: true });
    r.sim.run({ until: r.sim.now + 2e9 });
    expect(t.received()).toBe(total);
    expect(firstDiff(concat(t.data()), pattern(0, total))).toBe(-1);
    const nd = r.rc.nd;
    const q = nd.queues[0];
    expect(q?.stats.rxPackets).toBe(nd.ndev.stats.rxPackets);
    expect(q?.stats.rxBytes).toBe(nd.ndev.stats.rxBytes);
    expect(r.ep.nd.queues[0]?.stats.txPackets).toBe(r.ep.nd.ndev.stats.txPackets);
    expect(nd.ndev.stats.rxErrors).toBe(0);
  });

  it('counts a netif_rx backlog drop in rx_errors and rx_dropped (twice: the driver and the core), not in rx_packets, as ntb_netdev_rx_handler does', () => {
    const r = rig();
    r.rc.stack.setSysctl('net.core.netdev_max_backlog', 0);
    const sink = r.rc.stack.udpSocket();
    sink.bind(9);
    const s = r.ep.stack.udpSocket();
    s.connect({ addr: r.rc.ip, port: 9 });
    let sent = 0;
    r.ep.host.createUserTask('flood', (ctx, task) => {
      const w = s.send(ctx, 8000);
      if (!w.ok) {
        s.waitWritable(task);
        return 'sleep';
      }
      return ++sent < 400 ? 'run' : 'exit';
    });
    r.sim.run({ until: r.sim.now + 1e9 });
    const st = r.rc.nd.ndev.stats;
    const softnet = r.rc.stack.softnetStat();
    const dropped = softnet.reduce((n, x) => n + x.dropped, 0);
    const processed = softnet.reduce((n, x) => n + x.processed, 0);
    expect(sent).toBe(400);
    expect(dropped).toBeGreaterThan(0);
    expect(st.rxDropped).toBe(2 * dropped);
    expect(st.rxErrors).toBe(dropped);
    expect(st.rxPackets).toBe(processed);
    expect(st.rxPackets + dropped).toBe(r.ep.nd.ndev.stats.txPackets);
    expect(r.rc.nd.queues[0]?.stats).toMatchObject({ rxPackets: st.rxPackets, rxErrors: dropped });
    expect(sink.queued + r.rc.stack.snmp.Udp.RcvbufErrors).toBe(processed);
  });

  it('under ring pressure the subqueue stops and the wake timer restarts it', () => {
    const r = rig({ mwSize: 1 << 20 });
    const t = tcpTransfer(r, r.ep, r.rc, 20_000_000, { functional: false });
    r.sim.run({ until: r.sim.now + 4e9 });
    expect(t.done()).toBe(true);
    const q = r.ep.nd.queues[0];
    expect(q?.stats.txStops).toBeGreaterThan(0);
    expect(TX_START).toBeGreaterThan(TX_STOP);
    expect(q?.stats.txTimerWakes).toBeGreaterThan(0);
    expect(q?.stats.txTimerWakes).toBeLessThanOrEqual(q?.stats.txStops ?? 0);
    expect(q?.stats.txTimerExpiries).toBeGreaterThanOrEqual(q?.stats.txTimerWakes ?? 0);
  });

  it('the 250 us hrtimer wake variant moves the same bytes, no slower than the jiffy timer', () => {
    const run = (wakeTimer: 'jiffy' | 'hrtimer'): number => {
      const r = rig({ netdev: { wakeTimer }, transport: { maxMwSize: 512 * 1024 } });
      const t0 = r.sim.now;
      const t = tcpTransfer(r, r.ep, r.rc, 4_000_000, { functional: false });
      while (!t.done() && r.sim.now < t0 + 10e9) r.sim.run({ until: r.sim.now + 1e6 });
      expect(t.done()).toBe(true);
      return r.sim.now - t0;
    };
    expect(run('hrtimer')).toBeLessThanOrEqual(run('jiffy'));
  });
});

describe('ethtool -L (set_channels) and MTU changes while traffic flows', () => {
  it('1→2→4→1 during a TCP stream: no byte lost, duplicated or corrupted, ENOSPC beyond the QPs', () => {
    const r = rig({ mws: 2, mwSize: 1 << 20, transport: { maxNumClients: 4 }, netdev: { payload: 'functional' } });
    const total = 12_000_000;
    const t = tcpTransfer(r, r.ep, r.rc, total, { functional: true });
    const steps = [2, 4, 1];
    for (const n of steps) {
      r.sim.run({ until: r.sim.now + 150e6 });
      for (const s of [r.ep, r.rc]) expect(s.nd.setChannels({ combinedCount: n })).toBe(0);
      expect(r.ep.nd.queues).toHaveLength(n);
      expect(r.ep.nd.ndev.realNumTxQueues).toBe(n);
    }
    expect(r.ep.nd.setChannels({ combinedCount: 5 })).toBe(-ERRNO.ENOSPC);
    expect(r.ep.nd.queues).toHaveLength(1);
    r.sim.run({ until: r.sim.now + 5e9 });
    expect(t.received()).toBe(total);
    expect(firstDiff(concat(t.data()), pattern(0, total))).toBe(-1);
    expect(r.ep.nd.ndev.netifCarrierOk() && r.rc.nd.ndev.netifCarrierOk()).toBe(true);
  });

  it('a grow past the free QPs creates them one at a time and unwinds them in reverse (-ENOSPC, nothing changed), as ntb_inc_channels does', () => {
    const r = rig({ mws: 2, transport: { maxNumClients: 4 } });
    const host = r.rc.host;
    const logged = host.kmsg().length;
    expect(r.rc.nd.setChannels({ combinedCount: 5 })).toBe(-ERRNO.ENOSPC);
    const qpLines = host
      .kmsg()
      .slice(logged)
      .map((l) => /NTB Transport QP \d+ (created|freed)$/.exec(l)?.[0])
      .filter((l) => l !== undefined);
    expect(qpLines).toEqual(['NTB Transport QP 1 created', 'NTB Transport QP 2 created', 'NTB Transport QP 3 created', 'NTB Transport QP 3 freed', 'NTB Transport QP 2 freed', 'NTB Transport QP 1 freed']);
    expect(r.rc.nd.queues).toHaveLength(1);
    expect(r.rc.nd.ndev.realNumTxQueues).toBe(1);
    expect(r.rc.nd.transport.freeQueueCount).toBe(3);
    // The unwound QPs come back clean: the next grow links them up.
    expect(growChannels(r, 4)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(queuesRunning(r.rc) && queuesRunning(r.ep)).toBe(true);
  });

  it('a grow whose RX fill fails returns that errno and unwinds the new QP (ntb_netdev_queue_rx_fill in ntb_inc_channels)', () => {
    // ntb_netdev loaded once the transport link is up: each QP then holds its ring's entries
    // plus NTB_QP_DEF_NUM_ENTRIES (100), room for 110 receive buffers; a QP created again after
    // a free starts from 100, so filling it with 110 fails (-ENOMEM).
    const p = transportPair({ mws: 2, transport: { maxNumClients: 2 } });
    p.sim.run({ until: p.sim.now + 200e6 });
    const [rc, ep] = (['rc', 'ep'] as const).map((name, i) => {
      const stack = createNetStack(p.hosts[name]);
      const nd = [...loadNtbNetdev(p.buses[name], stack, { rxqSize: 110 }).devices.values()][0];
      if (nd === undefined) throw new Error('ntb_netdev did not probe');
      stack.ipAddrAdd(nd.ndev, `10.0.0.${i + 1}/24`);
      expect(nd.ndev.open()).toBe(0);
      return nd;
    }) as [NtbNetdev, NtbNetdev];
    const settle = (): void => {
      p.sim.run({ until: p.sim.now + 200e6 });
    };
    settle();
    for (const nd of [ep, rc]) expect(nd.setChannels({ combinedCount: 2 })).toBe(0);
    settle();
    for (const nd of [ep, rc]) expect(nd.setChannels({ combinedCount: 1 })).toBe(0);
    settle();
    expect(rc.transport.freeQueueCount).toBe(1);
    const logged = p.hosts.rc.kmsg().length;
    expect(rc.setChannels({ combinedCount: 2 })).toBe(-ERRNO.ENOMEM);
    expect(p.hosts.rc.kmsg().slice(logged).filter((l) => / QP 1 (created|freed)$/.test(l))).toHaveLength(2);
    expect(rc.queues).toHaveLength(1);
    expect(rc.ndev.realNumTxQueues).toBe(1);
    expect(rc.transport.freeQueueCount).toBe(1);
    expect(rc.queues[0]?.qp.linkQuery() && rc.ndev.netifCarrierOk()).toBe(true);
  });

  it('MTU down and back up while running: traffic continues, oversize MTU is -EINVAL and changes nothing', () => {
    const r = rig({ netdev: { payload: 'functional' } });
    const total = 4_000_000;
    const t = tcpTransfer(r, r.ep, r.rc, total, { functional: true, chunk: 8_000 });
    r.sim.run({ until: r.sim.now + 100e6 });
    expect(() => r.ep.nd.ndev.setMtu(70_000)).toThrow();
    expect(r.ep.nd.ndev.mtu).toBe(65510);
    for (const s of [r.ep, r.rc]) s.nd.ndev.setMtu(9000);
    r.sim.run({ until: r.sim.now + 100e6 });
    for (const s of [r.ep, r.rc]) s.nd.ndev.setMtu(65510);
    r.sim.run({ until: r.sim.now + 5e9 });
    expect(t.received()).toBe(total);
    expect(firstDiff(concat(t.data()), pattern(0, total))).toBe(-1);
  });
});

describe('MTU below 68', () => {
  it('ntb_netdev accepts it (min_mtu 0) and the stack drops ntb0\'s IPv4 addresses, as inetdev_event does', () => {
    const r = rig();
    const dev = r.rc.nd.ndev;
    expect(dev.minMtu).toBe(0);
    dev.setMtu(67);
    expect(dev.mtu).toBe(67);
    expect(r.rc.stack.addressesOf(dev)).toEqual([]);
    let rc = '';
    const p = r.rc.stack.pingSocket();
    r.rc.host.createUserTask('ping', (ctx) => {
      const w = p.sendEcho(ctx, { addr: r.ep.ip, seq: 1, data: 8 });
      rc = w.ok ? 'ok' : w.errno;
      return 'exit';
    });
    r.sim.run({ until: r.sim.now + 1e6 });
    expect(rc).toBe('ENETUNREACH');
    expect(() => r.rc.stack.ipAddrAdd(dev, '10.0.0.1/24')).toThrow(expect.objectContaining({ code: 'ENOBUFS' }));
    dev.setMtu(1500);
    expect(r.rc.stack.addressesOf(dev)).toEqual([]);
    r.rc.stack.ipAddrAdd(dev, '10.0.0.1/24');
    expect(r.rc.stack.addressesOf(dev)).toEqual(['10.0.0.1/24']);
  });
});

describe('ARP over ntb0', () => {
  const run = (payload: 'functional' | 'timing'): { got: number; at: number; ep: NetDevStats; rc: NetDevStats; states: string[] } => {
    const r = rig({ arp: 'dynamic', netdev: { payload } });
    const got = pingOnce(r, r.ep, r.rc);
    return { got, at: r.sim.now, ep: { ...r.ep.nd.ndev.stats }, rc: { ...r.rc.nd.ndev.stats }, states: [...r.ep.stack.arp.entries(), ...r.rc.stack.arp.entries()].map((e) => `${e.addr} ${e.state}`) };
  };

  it('resolves the peer with a 42-byte request and reply before the first ping, with the same frames in timing and functional modes', () => {
    const t = run('timing');
    const f = run('functional');
    expect(t.got).toBe(100);
    // EP: ARP request out, reply in; then the 142-byte echo request and reply (14 + 20 + 8 + 100).
    expect(t.ep).toMatchObject({ txPackets: 2, rxPackets: 2, txBytes: 42 + 142, rxBytes: 42 + 142, rxErrors: 0 });
    expect(t.rc).toMatchObject({ txPackets: 2, rxPackets: 2, rxErrors: 0 });
    expect(t.states).toEqual(['10.0.0.1 REACHABLE', '10.0.0.2 DELAY']);
    expect(f).toEqual(t);
  });
});

describe('IP fragments over ntb0 at MTU 1500', () => {
  const run = (payload: 'functional' | 'timing'): { replies: number[]; udp: number[]; times: number[]; rc: unknown; ep: unknown; frags: number } => {
    const r = rig({ netdev: { payload } });
    for (const s of [r.ep, r.rc]) s.nd.ndev.setMtu(1500);
    r.sim.run({ until: r.sim.now + 300e6 });
    const functional = payload === 'functional';
    const sink = r.ep.stack.udpSocket();
    sink.bind(5201);
    sink.setRcvbuf(1 << 22);
    const udp: number[] = [];
    const times: number[] = [];
    r.ep.host.createUserTask('udp-rx', (ctx, task) => {
      const g = sink.recv(ctx, 70_000);
      if (!g.ok) {
        sink.waitReadable(task);
        return 'sleep';
      }
      const ok = g.data === null || firstDiff(g.data, pattern(udp.length, g.bytes)) === -1;
      udp.push(ok ? g.bytes : -1);
      times.push(ctx.time);
      return 'run';
    });
    const tx = r.rc.stack.udpSocket();
    tx.connect({ addr: r.ep.ip, port: 5201 });
    let n = 0;
    r.rc.host.createUserTask('udp-tx', (ctx, task) => {
      const w = tx.send(ctx, functional ? pattern(n, 32_000) : 32_000);
      if (!w.ok) {
        tx.waitWritable(task);
        return 'sleep';
      }
      return ++n < 20 ? 'run' : 'exit';
    });
    const p = r.rc.stack.pingSocket();
    const sizes = [1473, 65_000];
    const replies: number[] = [];
    let seq = 0;
    r.rc.host.createUserTask('ping', (ctx, task) => {
      const size = sizes[seq];
      if (size !== undefined) {
        p.sendEcho(ctx, { addr: r.ep.ip, seq, data: functional ? pattern(0, size) : size });
        seq++;
      }
      const g = p.recv(ctx);
      if (!g.ok) {
        p.waitReadable(task);
        return 'sleep';
      }
      replies.push(g.data === null || firstDiff(g.data, pattern(0, g.bytes)) === -1 ? g.bytes : -1);
      times.push(ctx.time);
      return replies.length < sizes.length ? 'run' : 'exit';
    });
    r.sim.run({ until: r.sim.now + 2e9 });
    const stats = (s: typeof r.rc): unknown => ({ dev: { ...s.nd.ndev.stats }, ip: { ...s.stack.snmp.Ip }, usage: s.host.usage() });
    return { replies, udp, times, rc: stats(r.rc), ep: stats(r.ep), frags: r.rc.stack.snmp.Ip.FragCreates };
  };

  it('ping -s 1473 / -s 65000 and 32000-byte UDP datagrams cross byte-exact, each fragment a frame, with the same timeline in timing and functional modes', () => {
    const functional = run('functional');
    expect(functional.replies).toEqual([1473, 65_000]);
    expect(functional.udp).toEqual(Array<number>(20).fill(32_000));
    expect(functional.frags).toBe(2 + 44 + 20 * 22);
    expect(functional.rc).toMatchObject({ dev: { txPackets: 2 + 44 + 20 * 22, rxPackets: 2 + 44, rxErrors: 0 }, ip: { FragOKs: 22, ReasmOKs: 2 } });
    expect(functional.ep).toMatchObject({ ip: { ReasmOKs: 22, ReasmFails: 0, FragOKs: 2 }, dev: { rxErrors: 0 } });
    expect(run('timing')).toEqual(functional);
  });
});

