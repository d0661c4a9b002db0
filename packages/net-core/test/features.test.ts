/**
 * Network device features: what register_netdevice adds, netdev_fix_features' dependencies, a
 * device's sets through __netdev_update_features, the permanent address, and lo's sets as a
 * Linux 6.18 lo reports them.
 */
import { createHost, createSimulation, getProfile } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import {
  createNetDevice,
  createNetStack,
  netdevFeatures,
  netdevFixFeatures,
  NETIF_F,
  NETIF_F_ALL_TSO,
  NETIF_F_BIT,
  NETIF_F_ETHTOOL_BITS,
  registerNetdevFeatures,
  type NetDeviceOptions,
  type NetStack,
} from '../src/index.js';

/** The bits of a set, ascending. */
function bitsOf(set: bigint): number[] {
  const bits: number[] = [];
  for (let b = 0; b < 64; b++) if (((set >> BigInt(b)) & 1n) === 1n) bits.push(b);
  return bits;
}

function stack(): NetStack {
  return createNetStack(createHost(createSimulation({ seed: 3 }), { name: 'h', profile: getProfile('rcar-s4') }));
}

const ops: NetDeviceOptions['ops'] = { open: () => 0, stop: () => undefined, startXmit: () => 'ok', changeMtu: () => 0 };

describe('register_netdevice', () => {
  it('makes GSO and GRO changeable and on, GRO_FRAGLIST and GRO_UDP_FWD changeable and off, NOCACHE_COPY changeable', () => {
    const r = registerNetdevFeatures(NETIF_F.HIGHDMA, NETIF_F.HIGHDMA, false);
    expect(r.features).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO'));
    expect(r.hwFeatures).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO', 'GRO_FRAGLIST', 'GRO_UDP_FWD', 'NOCACHE_COPY'));
    expect(r.wantedFeatures).toBe(netdevFeatures('HIGHDMA', 'GSO', 'GRO'));
  });

  it('gives a loopback device no NOCACHE_COPY, and TSO_MANGLEID where TSO is changeable', () => {
    const r = registerNetdevFeatures(0n, NETIF_F.TSO, true);
    expect(r.hwFeatures & NETIF_F.NOCACHE_COPY).toBe(0n);
    expect(r.hwFeatures & NETIF_F.TSO_MANGLEID).toBe(NETIF_F.TSO_MANGLEID);
    expect(registerNetdevFeatures(0n, 0n, false).hwFeatures & NETIF_F.TSO_MANGLEID).toBe(0n);
  });
});

describe('netdev_fix_features', () => {
  it('drops software GSO and every TSO without SG, but not AccECN', () => {
    const f = netdevFeatures('GSO', 'HW_CSUM', 'GSO_ACCECN') | NETIF_F_ALL_TSO;
    expect(netdevFixFeatures(f)).toBe(netdevFeatures('HW_CSUM', 'GSO_ACCECN'));
    expect(netdevFixFeatures(f | NETIF_F.SG)).toBe(f | NETIF_F.SG);
  });

  it('drops TSO (and TSO_ECN) without an IPv4 checksum, TSO6 without an IPv6 one, TSO_MANGLEID without TSO', () => {
    const base = netdevFeatures('SG', 'TSO', 'TSO6', 'TSO_ECN', 'TSO_MANGLEID');
    expect(netdevFixFeatures(base)).toBe(NETIF_F.SG);
    expect(netdevFixFeatures(base | NETIF_F.IPV6_CSUM)).toBe(netdevFeatures('SG', 'IPV6_CSUM', 'TSO6'));
    expect(netdevFixFeatures(base | NETIF_F.IP_CSUM)).toBe(netdevFeatures('SG', 'IP_CSUM', 'TSO', 'TSO_ECN', 'TSO_MANGLEID'));
  });

  it('drops TSO_ECN left alone, and the IPv4/IPv6 checksums next to the generic one', () => {
    expect(netdevFixFeatures(netdevFeatures('SG', 'HW_CSUM', 'TSO_ECN'))).toBe(netdevFeatures('SG', 'HW_CSUM'));
    expect(netdevFixFeatures(netdevFeatures('HW_CSUM', 'IP_CSUM', 'IPV6_CSUM'))).toBe(NETIF_F.HW_CSUM);
  });

  it('ties GRO_HW to RXCSUM, keeps LRO from GRO_HW and both from RXFCS', () => {
    expect(netdevFixFeatures(netdevFeatures('GRO_HW', 'LRO'))).toBe(NETIF_F.LRO);
    expect(netdevFixFeatures(netdevFeatures('GRO_HW', 'LRO', 'RXCSUM'))).toBe(netdevFeatures('GRO_HW', 'RXCSUM'));
    expect(netdevFixFeatures(netdevFeatures('GRO_HW', 'LRO', 'RXCSUM', 'RXFCS'))).toBe(netdevFeatures('RXCSUM', 'RXFCS'));
  });

  it('needs a generic or both IP checksums for USO and TLS TX, RXCSUM for TLS RX', () => {
    const f = netdevFeatures('GSO_UDP_L4', 'HW_TLS_TX', 'HW_TLS_RX');
    expect(netdevFixFeatures(f | NETIF_F.IP_CSUM)).toBe(NETIF_F.IP_CSUM);
    expect(netdevFixFeatures(f | netdevFeatures('IP_CSUM', 'IPV6_CSUM', 'RXCSUM'))).toBe(f | netdevFeatures('IP_CSUM', 'IPV6_CSUM', 'RXCSUM'));
  });

  it('leaves ethtool all the bits but VLAN_CHALLENGED', () => {
    expect(bitsOf(~NETIF_F_ETHTOOL_BITS & ((1n << 64n) - 1n))).toEqual([NETIF_F_BIT.VLAN_CHALLENGED]);
  });
});

describe('a NetDevice', () => {
  it('starts with the fixed-up features: a driver without SG asks for GSO and does not get it', () => {
    const dev = createNetDevice(stack(), { name: 'x0', ops, features: NETIF_F.HIGHDMA, hwFeatures: NETIF_F.HIGHDMA });
    expect(dev.features).toBe(netdevFeatures('HIGHDMA', 'GRO'));
    expect(dev.wantedFeatures & NETIF_F.GSO).toBe(NETIF_F.GSO);
  });

  it('applies a new wanted set in updateFeatures (true when dev->features changed), fixed features as they were', () => {
    const dev = createNetDevice(stack(), { name: 'x0', ops, features: netdevFeatures('HIGHDMA', 'RXCSUM'), hwFeatures: NETIF_F.HIGHDMA });
    dev.wantedFeatures &= ~(NETIF_F.HIGHDMA | NETIF_F.GRO);
    expect(dev.updateFeatures()).toBe(true);
    expect(dev.features).toBe(NETIF_F.RXCSUM);
    expect(dev.updateFeatures()).toBe(false);
    dev.wantedFeatures |= NETIF_F.GRO_FRAGLIST;
    expect(dev.updateFeatures()).toBe(true);
    expect(dev.features).toBe(netdevFeatures('RXCSUM', 'GRO_FRAGLIST'));
  });

  it('keeps a given address as its permanent one; a random one leaves it unset (zeros)', () => {
    const s = stack();
    const addr = Uint8Array.from([0x02, 1, 2, 3, 4, 5]);
    expect([...createNetDevice(s, { name: 'p0', ops, devAddr: addr }).permAddr]).toEqual([...addr]);
    const r = createNetDevice(s, { name: 'r0', ops });
    expect([...r.permAddr]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(r.devAddr.some((b) => b !== 0)).toBe(true);
  });
});

describe('lo', () => {
  it("has a Linux 6.18 lo's sets (ETHTOOL_GFEATURES on a real one: available, requested, active)", () => {
    const lo = stack().loopback;
    expect(bitsOf(lo.hwFeatures)).toEqual([11, 14, 16, 18, 19, 20, 30, 33, 34, 35, 57, 59]);
    expect(bitsOf(lo.wantedFeatures)).toEqual([11, 14, 16, 18, 19, 20, 30, 33, 34, 35]);
    expect(bitsOf(lo.features)).toEqual([0, 3, 5, 6, 10, 11, 14, 16, 18, 19, 20, 30, 33, 34, 35, 37, 40, 42]);
    expect([...lo.permAddr]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});
