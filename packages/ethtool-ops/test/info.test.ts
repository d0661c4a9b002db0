import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_UTS_RELEASE,
  devEthtool,
  ethnlGetLinkinfo,
  ethnlGetLinkmodes,
  ethnlGetLinkstate,
  ethtoolGetDrvinfo,
  ethtoolGetLink,
  ethtoolGetSsetCount,
  ethtoolGetSsetInfo,
  ethtoolGetStrings,
  lookupDevice,
} from '../src/index.js';
import { combinedOnly, fakeDevice, NTB_KSETTINGS } from './fakeDevice.js';

describe('ethtoolGetDrvinfo (ethtool_get_drvinfo)', () => {
  it('pre-fills the kernel release, keeps driver fields and derives the counts from get_sset_count', () => {
    const d = fakeDevice({ name: 'n0', drvinfo: { driver: 'ntb_netdev', nStats: 99, regdumpLen: 4 }, stats: [['a', 1], ['b', 2]] });
    expect(ethtoolGetDrvinfo(d)).toEqual({
      ok: true,
      value: {
        driver: 'ntb_netdev',
        version: DEFAULT_UTS_RELEASE,
        fwVersion: '',
        eromVersion: '',
        busInfo: '',
        nStats: 2,
        testinfoLen: 0,
        eedumpLen: 0,
        regdumpLen: 4,
        nPrivFlags: 0,
      },
    });
  });

  it('fills an empty bus-info and driver from the parent device', () => {
    const d = fakeDevice({ name: 'n0', drvinfo: { version: '0.7' }, parent: { name: '0000:01:00.0', driverName: 'ntb_hw_epf' } });
    expect(ethtoolGetDrvinfo(d)).toMatchObject({ ok: true, value: { driver: 'ntb_hw_epf', version: '0.7', busInfo: '0000:01:00.0' } });
    const orphan = fakeDevice({ name: 'o0', parent: { name: 'platform-x' } });
    expect(ethtoolGetDrvinfo(orphan)).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
  });
});

describe('string sets, statistics and link state', () => {
  it('needs both get_sset_count and get_strings for a string set', () => {
    const d = fakeDevice({ name: 's0', stats: [['x', 1]] });
    expect(ethtoolGetSsetCount(d, 'stats')).toBe(1);
    expect(ethtoolGetSsetInfo(d, 'test')).toEqual({ ok: true, value: null });
    expect(ethtoolGetStrings(d, 'test')).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    delete (d.ethtoolOps as { getStrings?: unknown }).getStrings;
    expect(ethtoolGetSsetCount(d, 'stats')).toBe(-ERRNO.EOPNOTSUPP);
  });

  it('reports the link only while the interface runs, and nothing without get_link', () => {
    const d = fakeDevice({ name: 'l0', isUp: false });
    expect(ethtoolGetLink(d)).toEqual({ ok: true, value: false });
    expect(ethnlGetLinkstate(d)).toEqual({ ok: true, reply: { link: false } });
    const none = { name: 'n', ethtoolOps: {}, isUp: true, realNumRxQueues: 1, realNumTxQueues: 1 };
    expect(ethtoolGetLink(none)).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    expect(ethnlGetLinkstate(none)).toEqual({ ok: true, reply: {} });
  });

  it('answers LINKMODES / LINKINFO from get_link_ksettings, with an extack when it is missing', () => {
    const d = fakeDevice({ name: 'n0', ksettings: NTB_KSETTINGS });
    expect(ethnlGetLinkmodes(d)).toEqual({
      ok: true,
      reply: { supported: ['Backplane'], advertising: ['Backplane'], speed: 0xffff_ffff, duplex: 'full', autoneg: true },
    });
    expect(ethnlGetLinkinfo(d)).toEqual({
      ok: true,
      reply: { port: 'other', phyAddress: 0, tpMdix: 'invalid', tpMdixCtrl: 'invalid', transceiver: 'internal' },
    });
    const bare = fakeDevice({ name: 'b0' });
    expect(ethnlGetLinkmodes(bare)).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP, extack: { message: 'failed to retrieve link settings' } });
    expect(ethnlGetLinkinfo(bare)).toMatchObject({ ok: false, ret: -ERRNO.EOPNOTSUPP });
  });
});

describe('devEthtool (__dev_ethtool)', () => {
  const dev = fakeDevice({ name: 'ntb0', channels: combinedOnly(4, 1) });
  const lookup = (name: string) => (name === 'ntb0' ? dev : undefined);

  it('looks up, checks CAP_NET_ADMIN for SET commands only, and brackets with begin/complete', () => {
    expect(lookupDevice(lookup, 'ntb0')).toBe(dev);
    expect(devEthtool(lookup, 'eth9', { adminPerm: false }, () => ({ ok: true, value: 1 }))).toEqual({ ok: false, ret: -ERRNO.ENODEV });
    expect(devEthtool(lookup, 'ntb0', { adminPerm: true, ctx: { capNetAdmin: false } }, () => ({ ok: true, value: 1 }))).toEqual({
      ok: false,
      ret: -ERRNO.EPERM,
    });
    const before = dev.calls.complete ?? 0;
    expect(devEthtool(lookup, 'ntb0', { adminPerm: false, ctx: { capNetAdmin: false } }, () => ({ ok: true, value: 1 }))).toEqual({ ok: true, value: 1 });
    expect(dev.calls.complete).toBe(before + 1);
    expect(() =>
      devEthtool(lookup, 'ntb0', { adminPerm: false }, () => {
        throw new Error('driver bug');
      }),
    ).toThrow('driver bug');
    expect(dev.calls.complete).toBe(before + 2);
  });
});
