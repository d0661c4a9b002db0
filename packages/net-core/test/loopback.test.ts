/**
 * The loopback device (src/loopback.ts): lo on every stack, and the route to every local
 * address through it — an echo to the host's own address or to 127.0.0.1, and a TCP
 * connection from a host to itself, never touch the other devices.
 */
import type { TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { LOOPBACK_MTU, parseIpv4, type NetStack } from '../src/index.js';
import { makeLab, pattern, startBulk } from './helpers.js';

/** One echo from `stack`'s host to `addr`; the reply's byte count, or -1. */
function echo(lab: ReturnType<typeof makeLab>, stack: NetStack, addr: string): number {
  const sock = stack.pingSocket();
  let got = -1;
  let sent = false;
  stack.host.createUserTask('ping', (ctx, task): TaskStep => {
    if (!sent) {
      sent = true;
      if (!sock.sendEcho(ctx, { addr, seq: 1, data: 56 }).ok) return 'exit';
    }
    const r = sock.recv(ctx);
    if (!r.ok) {
      sock.waitReadable(task);
      return 'sleep';
    }
    got = r.bytes;
    return 'exit';
  });
  lab.sim.run({ until: lab.sim.now + 100_000_000 });
  return got;
}

describe('the loopback device', () => {
  it('every stack has lo: ifindex 1, up, carrier on, 127.0.0.1/8, MTU 64 KiB, no qdisc', () => {
    const lab = makeLab();
    const lo = lab.sa.loopback;
    expect(lab.sa.devices[0]).toBe(lo);
    expect({ name: lo.name, ifindex: lo.ifindex, up: lo.isUp, carrier: lo.netifCarrierOk(), mtu: lo.mtu, loopback: lo.loopback, noQueue: lo.noQueue }).toEqual({ name: 'lo', ifindex: 1, up: true, carrier: true, mtu: LOOPBACK_MTU, loopback: true, noQueue: true });
    expect(lab.sa.addressesOf(lo)).toEqual(['127.0.0.1/8']);
    expect(lab.veth.a.dev.ifindex).toBeGreaterThan(1);
    expect(lab.sa.route(parseIpv4('127.3.2.1'))).toEqual({ dev: lo, src: parseIpv4('127.0.0.1') });
    expect(lab.sa.route(parseIpv4('10.0.0.1'))).toEqual({ dev: lo, src: parseIpv4('10.0.0.1') });
    expect(lab.sa.route(parseIpv4('10.0.0.2'))?.dev).toBe(lab.veth.a.dev);
  });

  it('its ethtool_ops are loopback_ethtool_ops: get_link (always on) and get_ts_info (software time stamps, no PTP clock)', () => {
    const ops = makeLab().sa.loopback.ethtoolOps as Record<string, () => unknown>;
    expect(Object.keys(ops)).toEqual(['getLink', 'getTsInfo']);
    expect(ops.getLink?.()).toBe(true);
    expect(ops.getTsInfo?.()).toEqual({ soTimestamping: ['software-transmit', 'software-receive', 'software-system-clock'], phcIndex: -1 });
  });

  it('an echo to the host\'s own address and to 127.0.0.1 comes back through lo, counted there once each way, the veth untouched', () => {
    const lab = makeLab();
    const vethTx = lab.veth.a.dev.stats.txPackets;
    expect(echo(lab, lab.sa, '10.0.0.1')).toBe(56);
    expect(echo(lab, lab.sa, '127.0.0.1')).toBe(56);
    const lo = lab.sa.loopback.stats;
    expect({ tx: lo.txPackets, rx: lo.rxPackets }).toEqual({ tx: 4, rx: 4 });
    expect(lab.veth.a.dev.stats.txPackets).toBe(vethTx);
    expect(lab.sa.snmp.Icmp).toMatchObject({ InEchos: 2, OutEchoReps: 2, InEchoReps: 2, OutEchos: 2 });
  });

  it('a TCP connection from a host to itself carries every byte intact over lo', () => {
    const lab = makeLab();
    const total = 2_000_000;
    const res = startBulk(lab, { bytes: total, functional: true, sameHost: true, port: 7000 });
    lab.sim.run({ until: 5_000_000_000 });
    expect({ received: res.received, error: res.error, done: res.doneAt >= 0 }).toEqual({ received: total, error: null, done: true });
    expect(res.data).toEqual(pattern(0, total));
    expect(lab.sb.loopback.stats.txPackets).toBeGreaterThan(30);
    expect(lab.veth.b.dev.stats.txPackets).toBe(0);
  });
});
