/**
 * Per-socket IP options (src/inetSock.ts, src/ping.ts): IP_TTL and IP_TOS in the header of what
 * a ping, UDP or TCP socket sends; an ICMP echo socket's SO_BINDTODEVICE (routes through that
 * device only, with the kernel's on-link assumption) and bind() to a source address.
 */
import type { TaskStep } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { formatIpv4, parseIpv4, TC_PRIO, type IcmpErrorResult, type PingSocket, type Skb } from '../src/index.js';
import { makeLab } from './helpers.js';

type Lab = ReturnType<typeof makeLab>;

/** Send one echo from `sock` (on `lab.a`) to `addr` and wait 100 ms (4 s with `wait`): the send result, the reply's source or null, and the queued ICMP error. */
function echo(lab: Lab, sock: PingSocket, addr: string, waitNs = 100_000_000): { sent: string; reply: string | null; error: IcmpErrorResult } {
  let sent = '';
  let reply: string | null = null;
  lab.a.createUserTask('ping', (ctx, task): TaskStep => {
    if (sent === '') {
      const r = sock.sendEcho(ctx, { addr, seq: 1, data: 56 });
      sent = r.ok ? 'ok' : r.errno;
      if (!r.ok) return 'exit';
    }
    const r = sock.recv(ctx);
    if (!r.ok) {
      if (sock.poll().error) return 'exit';
      sock.waitReadable(task);
      return 'sleep';
    }
    reply = r.from;
    return 'exit';
  });
  lab.sim.run({ until: lab.sim.now + waitNs });
  return { sent, reply, error: sock.recvError() };
}

/** Record the IP header fields of every packet `lab.b` receives. */
function headersAtB(lab: Lab): string[] {
  const seen: string[] = [];
  lab.sb.addPacketTap((skb: Skb) => {
    if (skb.l4.kind !== 'arp') seen.push(`${skb.l4.kind} ${formatIpv4(skb.ip.src)} ttl ${skb.ip.ttl} tos 0x${skb.ip.tos.toString(16)}`);
  });
  return seen;
}

describe('IP_TTL and IP_TOS', () => {
  it('an echo request carries the socket\'s TTL and TOS; the reply has the peer\'s default TTL and the request\'s TOS (icmp_reply)', () => {
    const lab = makeLab();
    const atB = headersAtB(lab);
    const atA: string[] = [];
    lab.sa.addPacketTap((skb) => atA.push(`${skb.ip.ttl} 0x${skb.ip.tos.toString(16)}`));
    const p = lab.sa.pingSocket();
    p.setTtl(1);
    p.setTos(0x1b8);
    expect({ ttl: p.ucTtl, tos: p.tos, ipTtl: p.ipTtl() }).toEqual({ ttl: 1, tos: 0xb8, ipTtl: 1 });
    expect(echo(lab, p, '10.0.0.2').reply).toBe('10.0.0.2');
    p.setTtl(-1);
    expect(echo(lab, p, '10.0.0.2').reply).toBe('10.0.0.2');
    expect(atB).toEqual(['icmp 10.0.0.1 ttl 1 tos 0xb8', 'icmp 10.0.0.1 ttl 64 tos 0xb8']);
    expect(atA).toEqual(['64 0xb8', '64 0xb8']);
  });

  it('IP_TTL takes -1 or 1..255 and refuses the rest with EINVAL, changing nothing', () => {
    const p = makeLab().sa.pingSocket();
    p.setTtl(255);
    for (const bad of [0, 256, -2, 1.5]) expect(() => p.setTtl(bad)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(() => p.setTos(0.5)).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(p.ucTtl).toBe(255);
    expect(p.tos).toBe(0);
  });

  it('UDP datagrams carry them too; a TCP socket keeps its ECN bits out of IP_TOS', () => {
    const lab = makeLab();
    const atB = headersAtB(lab);
    const r = lab.sb.udpSocket();
    r.bind(9);
    const u = lab.sa.udpSocket();
    u.setTtl(7);
    u.setTos(0x28);
    u.connect({ addr: '10.0.0.2', port: 9 });
    lab.a.createUserTask('tx', (ctx) => (u.send(ctx, 100).ok ? 'exit' : 'exit'));
    const l = lab.sb.tcpSocket();
    l.bind(5201);
    l.listen();
    const t = lab.sa.tcpSocket();
    t.setTtl(9);
    t.setTos(0x13);
    expect(t.tos).toBe(0x10);
    lab.a.createUserTask('connect', (ctx) => (t.connect(ctx, { addr: '10.0.0.2', port: 5201 }).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: 100_000_000 });
    expect(atB[0]).toBe('udp 10.0.0.1 ttl 7 tos 0x28');
    expect(atB.slice(1).length).toBeGreaterThanOrEqual(2);
    for (const h of atB.slice(1)) expect(h).toBe('tcp 10.0.0.1 ttl 9 tos 0x10');
  });

  it('IP_TOS sets sk_priority to rt_tos2priority of the byte, and what the socket sends carries it to the qdisc; an echo reply goes at priority 0', () => {
    const lab = makeLab();
    const out: string[] = [];
    lab.sa.addPacketHandler((skb, _dev, direction) => {
      if (direction === 'out' && skb.l4.kind !== 'arp') out.push(`${skb.l4.kind} ${skb.priority}`);
    });
    const back: string[] = [];
    lab.sb.addPacketHandler((skb, _dev, direction) => {
      if (direction === 'out' && skb.l4.kind === 'icmp') back.push(`reply tos 0x${skb.ip.tos.toString(16)} priority ${skb.priority}`);
    });
    const u = lab.sa.udpSocket();
    expect(u.priority).toBe(0);
    u.setTos(0x10);
    expect(u.priority).toBe(TC_PRIO.INTERACTIVE);
    u.setTos(0x08);
    expect(u.priority).toBe(TC_PRIO.BULK);
    u.connect({ addr: '10.0.0.2', port: 9 });
    lab.a.createUserTask('tx', (ctx) => (u.send(ctx, 100).ok ? 'exit' : 'exit'));
    const p = lab.sa.pingSocket();
    p.setTos(0x10);
    expect(echo(lab, p, '10.0.0.2').reply).toBe('10.0.0.2');
    const t = lab.sa.tcpSocket();
    t.setTos(0x18);
    lab.a.createUserTask('connect', (ctx) => (t.connect(ctx, { addr: '10.0.0.2', port: 5201 }).ok ? 'exit' : 'exit'));
    lab.sim.run({ until: lab.sim.now + 100_000_000 });
    expect(out).toEqual(expect.arrayContaining([`udp ${TC_PRIO.BULK}`, `icmp ${TC_PRIO.INTERACTIVE}`, `tcp ${TC_PRIO.INTERACTIVE_BULK}`]));
    expect(out.filter((x) => x.startsWith('tcp')).every((x) => x === `tcp ${TC_PRIO.INTERACTIVE_BULK}`)).toBe(true);
    expect(back).toEqual(['reply tos 0x10 priority 0']);
  });
});

describe('an ICMP echo socket bound to a device (SO_BINDTODEVICE)', () => {
  it('refuses a device the stack does not have (ENODEV) and unbinds with an empty name', () => {
    const lab = makeLab();
    const p = lab.sa.pingSocket();
    expect(() => p.bindToDevice('ntb9')).toThrow(expect.objectContaining({ code: 'ENODEV' }));
    expect(p.boundDev).toBeNull();
    p.bindToDevice(lab.veth.a.dev.name);
    expect(p.boundDev).toBe(lab.veth.a.dev);
    p.bindToDevice('');
    expect(p.boundDev).toBeNull();
  });

  it('routes through that device only: the local routes of its own addresses (lo for 127/8), its connected prefix, else on link through it', () => {
    const lab = makeLab();
    const veth = lab.veth.a.dev;
    const lo = lab.sa.loopback;
    const ip = parseIpv4;
    expect(lab.sa.route(ip('10.0.0.2'), veth)).toEqual({ dev: veth, src: ip('10.0.0.1') });
    expect(lab.sa.route(ip('10.0.0.1'), veth)).toEqual({ dev: lo, src: ip('10.0.0.1') });
    expect(lab.sa.route(ip('127.0.0.5'), lo)).toEqual({ dev: lo, src: ip('127.0.0.1') });
    // No route through the device: the kernel assumes the destination is on link, from inet_select_addr(dev, 0, RT_SCOPE_LINK)
    // — lo's 127.0.0.1 is host scope, so the source is the veth's address.
    expect(lab.sa.route(ip('192.168.1.1'), veth)).toEqual({ dev: veth, src: ip('10.0.0.1') });
    expect(lab.sa.route(ip('127.0.0.1'), veth)).toEqual({ dev: veth, src: ip('10.0.0.1') });
    expect(lab.sa.route(ip('10.0.0.2'), lo)).toEqual({ dev: lo, src: ip('10.0.0.1') });
    expect(lab.sa.selectAddr(lo, 0)).toBe(ip('10.0.0.1'));
    expect(lab.sa.route(ip('192.168.1.1'))).toBeNull();
    veth.close();
    expect(lab.sa.route(ip('10.0.0.2'), veth)).toBeNull();
  });

  it('pings through it; an off-subnet address is tried on link (ARP on the device, then host unreachable) instead of ENETUNREACH', () => {
    const lab = makeLab({ arp: 'dynamic' });
    const p = lab.sa.pingSocket();
    p.bindToDevice(lab.veth.a.dev.name);
    expect(echo(lab, p, '10.0.0.2').reply).toBe('10.0.0.2');
    const unbound = lab.sa.pingSocket();
    expect(echo(lab, unbound, '192.168.1.1').sent).toBe('ENETUNREACH');
    const arpOut: string[] = [];
    lab.sa.addPacketHandler((skb, dev, dir) => {
      if (dir === 'out' && skb.l4.kind === 'arp') arpOut.push(`${dev.name} who-has ${formatIpv4(skb.l4.tpa)}`);
    });
    const r = echo(lab, p, '192.168.1.1', 4_000_000_000);
    expect(r.sent).toBe('ok');
    expect(r.reply).toBeNull();
    expect(r.error).toMatchObject({ ok: true, errno: 'EHOSTUNREACH', type: 3, code: 1, seq: 1 });
    expect(arpOut).toEqual(Array.from({ length: 3 }, () => `${lab.veth.a.dev.name} who-has 192.168.1.1`));
  });
});

describe('an ICMP echo socket bound to a source address', () => {
  it('takes a local address only (EADDRNOTAVAIL for another host\'s or a broadcast address); once bound, EINVAL', () => {
    const lab = makeLab();
    const p = lab.sa.pingSocket();
    for (const bad of ['10.0.0.2', '10.0.0.255', '127.255.255.255']) expect(() => p.bind(bad)).toThrow(expect.objectContaining({ code: 'EADDRNOTAVAIL' }));
    expect({ saddr: p.saddr, ident: p.ident }).toEqual({ saddr: 0, ident: 0 });
    p.bind('127.0.0.9');
    expect(p.saddr).toBe(parseIpv4('127.0.0.9'));
    expect(() => p.bind('10.0.0.1')).toThrow(expect.objectContaining({ code: 'EINVAL' }));
    expect(p.saddr).toBe(parseIpv4('127.0.0.9'));
  });

  it('takes its identifier when bound or at its first request (ping_get_port on autobind), not when created', () => {
    const lab = makeLab();
    const idle = lab.sa.pingSocket();
    expect(idle.ident).toBe(0);
    expect(lab.sa.pingSocks.size).toBe(0);
    const bound = lab.sa.pingSocket();
    bound.bind('0.0.0.0');
    expect(bound.ident).toBeGreaterThan(0);
    expect(lab.sa.pingSocks.get(bound.ident)).toBe(bound);
    const sender = lab.sa.pingSocket();
    expect(echo(lab, sender, '10.0.0.2').reply).toBe('10.0.0.2');
    expect(sender.ident).toBeGreaterThan(0);
    expect(sender.ident).not.toBe(bound.ident);
    idle.close();
    bound.close();
    expect([...lab.sa.pingSocks.keys()]).toEqual([sender.ident]);
  });

  it('sends from it whatever the route\'s source; a loopback source off lo is EINVAL', () => {
    const lab = makeLab();
    const srcs: string[] = [];
    lab.sa.addPacketHandler((skb, dev, dir) => {
      if (dir === 'out' && skb.l4.kind === 'icmp' && skb.l4.type === 8) srcs.push(`${dev.name} ${formatIpv4(skb.ip.src)} > ${formatIpv4(skb.ip.dst)}`);
    });
    const p = lab.sa.pingSocket();
    p.bind('10.0.0.1');
    expect(echo(lab, p, '127.0.0.1').reply).toBe('127.0.0.1');
    const lo = lab.sa.pingSocket();
    lo.bind('127.0.0.1');
    expect(echo(lab, lo, '10.0.0.2').sent).toBe('EINVAL');
    expect(echo(lab, lo, '10.0.0.1').reply).toBe('10.0.0.1');
    expect(srcs).toEqual(['lo 10.0.0.1 > 127.0.0.1', 'lo 127.0.0.1 > 10.0.0.1']);
  });
});
