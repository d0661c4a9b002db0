/**
 * The ethtool core's feature requests (net/ethtool/features.c, the feature ioctls) on a net-core
 * device set up as ntb_netdev_probe sets up ntb0: the string set, FEATURES_SET's checks and
 * replies, what ends up on the device, and the FEATURES_NTF a change sends.
 */
import { readFileSync } from 'node:fs';
import { ERRNO } from '@ntbsim/kernel';
import { netdevFeatures, NETIF_F } from '@ntbsim/net-core';
import { describe, expect, it } from 'vitest';
import {
  createEthtoolNotifier,
  ETH_FLAG,
  ETHTOOL_F_UNSUPPORTED,
  ETHTOOL_F_WISH,
  ethnlGetFeatures,
  ethnlSetFeatures,
  ethtoolGetFeatures,
  ethtoolGetFlags,
  ethtoolGetOneFeature,
  ethtoolSetFeatures,
  NETDEV_FEATURES_STRINGS,
  type EthtoolDevice,
  type EthtoolNotification,
} from '../src/index.js';
import { netDevice, ntbLike } from './fakeDevice.js';

describe('netdev_features_strings', () => {
  it("is Linux 6.18's ETH_SS_FEATURES string set, bit for bit (read from a real kernel)", () => {
    const real = readFileSync(new URL('fixtures/netdev-features-6.18.txt', import.meta.url), 'utf8')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('#'))
      .map((l) => l.slice(l.indexOf(' ') + 1));
    expect(real).toHaveLength(64);
    expect(NETDEV_FEATURES_STRINGS).toEqual(real);
  });
});

describe('FEATURES_GET', () => {
  it("reports hw_features, wanted_features, features and NETIF_F_NEVER_CHANGE, as register_netdevice left ntb0's", () => {
    expect(ethnlGetFeatures(ntbLike().dev)).toEqual({
      ok: true,
      reply: {
        hw: netdevFeatures('HIGHDMA', 'GSO', 'GRO', 'GRO_FRAGLIST', 'GRO_UDP_FWD', 'NOCACHE_COPY'),
        wanted: netdevFeatures('HIGHDMA', 'GSO', 'GRO'),
        active: netdevFeatures('HIGHDMA', 'GRO'),
        nochange: NETIF_F.VLAN_CHALLENGED,
      },
    });
  });

  it('gives a device without feature sets none', () => {
    const bare: EthtoolDevice = { name: 'x', ethtoolOps: {}, isUp: true, realNumRxQueues: 1, realNumTxQueues: 1 };
    expect(ethnlGetFeatures(bare)).toEqual({ ok: true, reply: { hw: 0n, wanted: 0n, active: 0n, nochange: NETIF_F.VLAN_CHALLENGED } });
  });
});

describe('FEATURES_SET', () => {
  function listen(): { seen: EthtoolNotification[]; ctx: { notifier: ReturnType<typeof createEthtoolNotifier> } } {
    const notifier = createEthtoolNotifier();
    const seen: EthtoolNotification[] = [];
    notifier.subscribe((n) => seen.push(n));
    return { seen, ctx: { notifier } };
  }

  it('turns a changeable feature off: dev->features follows, the reply lists the change, FEATURES_NTF carries the new sets', () => {
    const { ndev, dev } = ntbLike();
    const { seen, ctx } = listen();
    const r = ethnlSetFeatures(dev, [{ name: 'highdma', value: false }], ctx);
    expect(r).toEqual({ ok: true, reply: { wanted: { value: 0n, mask: 0n }, active: { value: 0n, mask: NETIF_F.HIGHDMA } } });
    expect(ndev.features).toBe(NETIF_F.GRO);
    expect(ndev.wantedFeatures).toBe(netdevFeatures('GSO', 'GRO'));
    expect(seen).toEqual([
      { cmd: 'FEATURES_NTF', devName: 'ntb0', features: { hw: ndev.hwFeatures, wanted: netdevFeatures('GSO', 'GRO'), active: NETIF_F.GRO, nochange: NETIF_F.VLAN_CHALLENGED } },
    ]);
  });

  it('cannot turn on GSO without SG nor a fixed feature: the reply names them, nothing changes, nothing is notified', () => {
    const { ndev, dev } = ntbLike();
    const { seen, ctx } = listen();
    const r = ethnlSetFeatures(dev, [{ name: 'tx-generic-segmentation', value: true }, { name: 'tx-checksum-ipv4', value: true }], ctx);
    const mask = NETIF_F.GSO | NETIF_F.IP_CSUM;
    expect(r).toEqual({ ok: true, reply: { wanted: { value: mask, mask }, active: { value: 0n, mask: 0n } } });
    expect({ features: ndev.features, wanted: ndev.wantedFeatures }).toEqual({ features: netdevFeatures('HIGHDMA', 'GRO'), wanted: netdevFeatures('HIGHDMA', 'GSO', 'GRO') });
    expect(seen).toEqual([]);
  });

  it('refuses an unknown name on its bit ("bit name not found", -EOPNOTSUPP) and a VLAN_CHALLENGED change (-EINVAL), changing nothing', () => {
    const { ndev, dev } = ntbLike();
    expect(ethnlSetFeatures(dev, [{ name: 'rx-gro', value: false }, { name: 'frob', value: true }])).toEqual({
      ok: false,
      ret: -ERRNO.EOPNOTSUPP,
      extack: { message: 'bit name not found', badAttr: 'bit-name:1' },
    });
    expect(ethnlSetFeatures(dev, [{ name: 'vlan-challenged', value: true }])).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: 'attempt to change non-ethtool features' },
    });
    expect(ndev.features).toBe(netdevFeatures('HIGHDMA', 'GRO'));
  });

  it('turns a feature named twice on if either value is on (ethnl_parse_bitset only sets bits)', () => {
    const { ndev, dev } = ntbLike();
    ethnlSetFeatures(dev, [
      { name: 'rx-gro-list', value: true },
      { name: 'rx-gro-list', value: false },
      { name: 'highdma', value: false },
      { name: 'highdma', value: false },
    ]);
    expect(ndev.features).toBe(netdevFeatures('GRO', 'GRO_FRAGLIST'));
  });
});

describe('the feature ioctls', () => {
  it('ETHTOOL_GFEATURES: available, requested, active, never_changed', () => {
    const { ndev, dev } = ntbLike();
    expect(ethtoolGetFeatures(dev)).toEqual({
      ok: true,
      value: { available: ndev.hwFeatures, requested: ndev.wantedFeatures, active: ndev.features, neverChanged: NETIF_F.VLAN_CHALLENGED },
    });
  });

  it('ETHTOOL_SFEATURES: -EINVAL for VLAN_CHALLENGED, ETHTOOL_F_UNSUPPORTED for a fixed bit, ETHTOOL_F_WISH for one that does not come out', () => {
    const { ndev, dev } = ntbLike();
    expect(ethtoolSetFeatures(dev, { valid: NETIF_F.VLAN_CHALLENGED, requested: 0n })).toEqual({ ok: false, ret: -ERRNO.EINVAL });
    expect(ethtoolSetFeatures(dev, { valid: NETIF_F.SG, requested: NETIF_F.SG })).toEqual({ ok: true, value: ETHTOOL_F_UNSUPPORTED });
    expect(ethtoolSetFeatures(dev, { valid: NETIF_F.GSO, requested: NETIF_F.GSO })).toEqual({ ok: true, value: ETHTOOL_F_WISH });
    const notifier = createEthtoolNotifier();
    const seen: string[] = [];
    notifier.subscribe((n) => seen.push(n.cmd));
    expect(ethtoolSetFeatures(dev, { valid: NETIF_F.HIGHDMA | NETIF_F.GRO, requested: 0n }, { notifier })).toEqual({ ok: true, value: 0 });
    expect(ndev.features).toBe(0n);
    expect(seen).toEqual(['FEATURES_NTF']);
  });

  it('the legacy gets read their masks (TSO without AccECN), ETHTOOL_GUFO is -EOPNOTSUPP, ETHTOOL_GFLAGS reads LRO/VLAN/NTUPLE/RXHASH', () => {
    const { dev } = ntbLike();
    expect(ethtoolGetOneFeature(dev, 'gro')).toEqual({ ok: true, value: true });
    expect(ethtoolGetOneFeature(dev, 'gso')).toEqual({ ok: true, value: false });
    expect(ethtoolGetOneFeature(dev, 'ufo')).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    const accecn = netDevice('x0', { features: netdevFeatures('SG', 'HW_CSUM', 'GSO_ACCECN', 'LRO', 'NTUPLE') });
    expect(ethtoolGetOneFeature(accecn, 'tso')).toEqual({ ok: true, value: false });
    expect(ethtoolGetOneFeature(accecn, 'tx')).toEqual({ ok: true, value: true });
    expect(ethtoolGetFlags(accecn)).toEqual({ ok: true, value: ETH_FLAG.LRO | ETH_FLAG.NTUPLE });
    expect(ethtoolGetFlags(dev)).toEqual({ ok: true, value: 0 });
  });
});
