import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import {
  CHANNELS_EXTACK,
  createEthtoolNotifier,
  EthtoolError,
  ethnlGetChannels,
  ethnlSetChannels,
  ethtoolCheckMaxChannel,
  ethtoolGetChannels,
  ethtoolSetChannels,
  type EthtoolNotification,
} from '../src/index.js';
import { combinedOnly, fakeDevice, rxTxOnly, type FakeDeviceOptions } from './fakeDevice.js';

function setup(o: Partial<FakeDeviceOptions> = {}) {
  const dev = fakeDevice({ name: 'ntb0', channels: combinedOnly(64, 1), ...o });
  const notifier = createEthtoolNotifier();
  const seen: EthtoolNotification[] = [];
  notifier.subscribe((n) => seen.push(n));
  return { dev, ctx: { notifier }, seen };
}

describe('ethnlGetChannels (channels_prepare_data + channels_fill_reply)', () => {
  it('reports only the kinds whose maximum is non-zero', () => {
    const { dev } = setup();
    expect(ethnlGetChannels(dev)).toEqual({ ok: true, reply: { combined: { max: 64, count: 1 } } });
    const veth = fakeDevice({ name: 'veth0', channels: rxTxOnly(8, 8, 8) });
    expect(ethnlGetChannels(veth)).toEqual({ ok: true, reply: { rx: { max: 8, count: 8 }, tx: { max: 8, count: 8 } } });
  });

  it('is -EOPNOTSUPP without get_channels, and brackets the op with begin/complete', () => {
    const ifb = fakeDevice({ name: 'ifb0' });
    expect(ethnlGetChannels(ifb)).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    expect(ifb.calls.begin).toBeUndefined();
    const { dev } = setup();
    ethnlGetChannels(dev);
    expect([dev.calls.begin, dev.calls.complete]).toEqual([1, 1]);
  });

  it('stops at a failing begin without calling the driver', () => {
    const dev = fakeDevice({ name: 'ntb0', channels: combinedOnly(4, 1), beginRet: -ERRNO.EBUSY });
    expect(ethnlGetChannels(dev)).toEqual({ ok: false, ret: -ERRNO.EBUSY });
    expect(dev.calls.getChannels).toBeUndefined();
    expect(dev.calls.complete).toBeUndefined();
  });

  it('throws EthtoolError(EIO) when a driver reports a count that is not a u32', () => {
    const dev = fakeDevice({ name: 'bad0', channels: { ...combinedOnly(4, 1), combinedCount: -1 } });
    expect(() => ethnlGetChannels(dev)).toThrow(EthtoolError);
    expect(() => ethnlGetChannels(dev)).toThrow(/combinedCount must be a u32/);
  });
});

describe('ethnlSetChannels (net/ethtool/channels.c)', () => {
  it('applies a change, notifies with the new counts, and brackets the whole request', () => {
    const { dev, ctx, seen } = setup();
    expect(ethnlSetChannels(dev, { combined: 4 }, ctx)).toEqual({ ok: true, reply: null });
    expect(dev.channels?.combinedCount).toBe(4);
    expect(seen).toEqual([{ cmd: 'CHANNELS_NTF', devName: 'ntb0', channels: { combined: { max: 64, count: 4 } } }]);
    expect(dev.calls.begin).toBe(dev.calls.complete);
  });

  it('returns 0 without calling the driver or notifying when nothing changes', () => {
    const { dev, ctx, seen } = setup();
    expect(ethnlSetChannels(dev, {}, ctx)).toEqual({ ok: true, reply: null });
    expect(ethnlSetChannels(dev, { combined: 1 }, ctx)).toEqual({ ok: true, reply: null });
    expect(ethnlSetChannels(dev, { combined: 1, rx: 0, tx: 0, other: 0 }, ctx)).toEqual({ ok: true, reply: null });
    expect(dev.calls.setChannels).toBeUndefined();
    expect(seen).toEqual([]);
  });

  it('is -EOPNOTSUPP without get_channels or set_channels, before begin', () => {
    const ro = fakeDevice({ name: 'ro0', channels: combinedOnly(4, 1), readOnlyChannels: true });
    expect(ethnlSetChannels(ro, { combined: 2 })).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    expect(ro.calls.begin).toBeUndefined();
    expect(ethnlSetChannels(fakeDevice({ name: 'ifb0' }), { combined: 2 })).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
  });

  it.each([
    ['rx', { rx: 1 }, combinedOnly(64, 1)],
    ['tx', { tx: 1 }, combinedOnly(64, 1)],
    ['other', { other: 1 }, combinedOnly(64, 1)],
    ['combined', { combined: 65 }, combinedOnly(64, 1)],
    ['combined', { combined: 2 }, rxTxOnly(8, 8, 8)],
    ['rx', { rx: 9 }, rxTxOnly(8, 8, 8)],
    ['tx', { tx: 9, rx: 2 }, rxTxOnly(8, 8, 8)],
  ] as const)('rejects a count above its maximum at the %s attribute', (attr, req, channels) => {
    const { dev, ctx, seen } = setup({ channels });
    const r = ethnlSetChannels(dev, req, ctx);
    expect(r).toEqual({ ok: false, ret: -ERRNO.EINVAL, extack: { message: CHANNELS_EXTACK.exceedsMax, badAttr: attr } });
    expect(dev.channels).toEqual(channels);
    expect(seen).toEqual([]);
  });

  it('checks maxima in the order rx, tx, other, combined', () => {
    const { dev } = setup({ channels: combinedOnly(4, 1) });
    const r = ethnlSetChannels(dev, { combined: 9, other: 1, tx: 1, rx: 1 });
    expect(r).toMatchObject({ extack: { badAttr: 'rx' } });
    expect(ethnlSetChannels(dev, { combined: 9, other: 1, tx: 1 })).toMatchObject({ extack: { badAttr: 'tx' } });
    expect(ethnlSetChannels(dev, { combined: 9, other: 1 })).toMatchObject({ extack: { badAttr: 'other' } });
  });

  it('rejects combined 0 on a combined-only device, pointing at combined', () => {
    const { dev, seen, ctx } = setup();
    expect(ethnlSetChannels(dev, { combined: 0 }, ctx)).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: CHANNELS_EXTACK.noRxTx, badAttr: 'combined' },
    });
    expect(dev.channels?.combinedCount).toBe(1);
    expect(seen).toEqual([]);
  });

  it('points the no-RX/TX error at rx or tx when combined was not modified, and omits an absent attribute', () => {
    const veth = fakeDevice({ name: 'veth0', channels: rxTxOnly(8, 8, 8) });
    expect(ethnlSetChannels(veth, { rx: 0 })).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: CHANNELS_EXTACK.noRxTx, badAttr: 'rx' },
    });
    expect(ethnlSetChannels(veth, { tx: 0 })).toMatchObject({ extack: { badAttr: 'tx' } });
    const noRx = fakeDevice({ name: 'v1', channels: { ...rxTxOnly(8, 0, 0), maxCombined: 4, combinedCount: 2 } });
    expect(ethnlSetChannels(noRx, { combined: 0 })).toMatchObject({ extack: { badAttr: 'combined' } });
    const txOnlyLeft = fakeDevice({ name: 'v2', channels: { ...rxTxOnly(8, 3, 0), maxCombined: 4, combinedCount: 2 } });
    expect(ethnlSetChannels(txOnlyLeft, { other: 0, rx: 4 })).toEqual({ ok: true, reply: null });
    expect(ethnlSetChannels(txOnlyLeft, { combined: 0, rx: 3 })).toMatchObject({ extack: { message: CHANNELS_EXTACK.noRxTx, badAttr: 'combined' } });
    const r = ethnlSetChannels(txOnlyLeft, { rx: 2, other: 0 });
    expect(r).toEqual({ ok: true, reply: null });
    const zeroCombined = fakeDevice({ name: 'v3', channels: { ...rxTxOnly(8, 2, 2), maxOther: 1 } });
    expect(ethnlSetChannels(zeroCombined, { other: 1, tx: 0 })).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: CHANNELS_EXTACK.noRxTx, badAttr: 'tx' },
    });
    const missingAttr = fakeDevice({ name: 'v4', channels: { ...rxTxOnly(8, 0, 2), maxOther: 1 } });
    expect(ethnlSetChannels(missingAttr, { other: 1 })).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: CHANNELS_EXTACK.noRxTx },
    });
  });

  it('refuses to shrink below a user RSS indirection table, an ntuple rule or a memory provider', () => {
    const { dev, seen, ctx } = setup({ channels: combinedOnly(8, 8) });
    dev.rxfhMax = 5;
    expect(ethnlSetChannels(dev, { combined: 5 }, ctx)).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: 'requested channel counts are too low for existing indirection table (5)' },
    });
    expect(ethnlSetChannels(dev, { combined: 6 }, ctx)).toEqual({ ok: true, reply: null });
    dev.rxfhMax = 0;
    dev.rxnfcMax = 4;
    expect(ethnlSetChannels(dev, { combined: 4 }, ctx)).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: 'requested channel counts are too low for existing ntuple filter settings' },
    });
    dev.rxnfcMax = 0;
    dev.mpQueues.add(2);
    expect(ethnlSetChannels(dev, { combined: 3 }, ctx)).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: 'requested channel counts are too low for existing memory provider setting (3)' },
    });
    expect(ethnlSetChannels(dev, { combined: 4 }, ctx)).toEqual({ ok: true, reply: null });
    expect(dev.channels?.combinedCount).toBe(4);
    expect(seen.map((n) => (n.cmd === 'CHANNELS_NTF' ? n.channels.combined?.count : undefined))).toEqual([6, 4]);
  });

  it('checks the RSS table before ntuple rules before memory providers', () => {
    const dev = fakeDevice({ name: 'x', channels: combinedOnly(8, 8) });
    dev.rxfhMax = 3;
    dev.rxnfcMax = 3;
    dev.mpQueues.add(2);
    expect(ethtoolCheckMaxChannel(dev, { rxCount: 0, txCount: 0, otherCount: 0, combinedCount: 2 }).message).toMatch(/indirection/);
    dev.rxfhMax = 0;
    expect(ethtoolCheckMaxChannel(dev, { rxCount: 0, txCount: 0, otherCount: 0, combinedCount: 2 }).message).toMatch(/ntuple/);
    dev.rxnfcMax = 0;
    expect(ethtoolCheckMaxChannel(dev, { rxCount: 0, txCount: 0, otherCount: 0, combinedCount: 2 }).message).toMatch(/memory provider/);
    expect(ethtoolCheckMaxChannel(dev, { rxCount: 0, txCount: 0, otherCount: 0, combinedCount: 4 })).toEqual({ ret: 0 });
  });

  it('refuses to remove channels that carry an AF_XDP zero-copy pool, scanning [combined + min(rx, tx), old total)', () => {
    const { dev, seen, ctx } = setup({ channels: combinedOnly(8, 4) });
    dev.xskQueues.add('rx3');
    expect(ethnlSetChannels(dev, { combined: 3 }, ctx)).toEqual({
      ok: false,
      ret: -ERRNO.EINVAL,
      extack: { message: CHANNELS_EXTACK.afXdp },
    });
    expect(ethnlSetChannels(dev, { combined: 8 }, ctx)).toEqual({ ok: true, reply: null });
    expect(ethnlSetChannels(dev, { combined: 4 }, ctx)).toEqual({ ok: true, reply: null });
    expect(dev.channels?.combinedCount).toBe(4);
    expect(seen).toHaveLength(2);
  });

  it('looks an AF_XDP pool up on the TX side past the RX queues (xsk_get_pool_from_qid)', () => {
    const dev = fakeDevice({ name: 'v', channels: rxTxOnly(8, 2, 6) });
    dev.xskQueues.add('tx4');
    expect(ethnlSetChannels(dev, { tx: 2 })).toMatchObject({ ok: false, extack: { message: CHANNELS_EXTACK.afXdp } });
    dev.xskQueues.clear();
    dev.xskQueues.add('tx1');
    expect(ethnlSetChannels(dev, { tx: 2 })).toEqual({ ok: true, reply: null });
  });

  it('returns the driver errno with no notification and the device unchanged (-ENOSPC mid-way)', () => {
    const { dev, seen, ctx } = setup({ channels: combinedOnly(64, 2), queueBudget: 3 });
    expect(ethnlSetChannels(dev, { combined: 8 }, ctx)).toEqual({ ok: false, ret: -ERRNO.ENOSPC });
    expect(dev.channels).toEqual(combinedOnly(64, 2));
    expect(dev.calls.setChannels).toBe(1);
    expect(seen).toEqual([]);
    expect(ethnlSetChannels(dev, { combined: 5 }, ctx)).toEqual({ ok: true, reply: null });
    expect(seen).toHaveLength(1);
    expect(dev.calls.begin).toBe(dev.calls.complete);
  });

  it('passes a driver extack through, and a driver that half-applies a failed change is caught', () => {
    const dev = fakeDevice({ name: 'x', channels: combinedOnly(8, 1) });
    (dev.ethtoolOps as { setChannels: unknown }).setChannels = () => ({ ret: -ERRNO.EBUSY, extack: 'XDP is loaded' });
    expect(ethnlSetChannels(dev, { combined: 2 })).toEqual({ ok: false, ret: -ERRNO.EBUSY, extack: { message: 'XDP is loaded' } });
    const sloppy = fakeDevice({ name: 'bad0', channels: combinedOnly(64, 2), queueBudget: 3, halfApplyOnError: true });
    expect(() => ethnlSetChannels(sloppy, { combined: 8 })).toThrow(/set_channels returned -28 but changed the channel counts/);
    expect(sloppy.calls.begin).toBe(sloppy.calls.complete);
  });

  it('hands the driver a frozen struct with the maxima and merged counts', () => {
    const dev = fakeDevice({ name: 'x', channels: rxTxOnly(8, 8, 8) });
    let got: unknown;
    (dev.ethtoolOps as { setChannels: unknown }).setChannels = (ch: object) => {
      got = ch;
      expect(Object.isFrozen(ch)).toBe(true);
      return 0;
    };
    ethnlSetChannels(dev, { rx: 2 });
    expect(got).toEqual({ ...rxTxOnly(8, 2, 8) });
  });

  it('stops at a failing begin, and throws EthtoolError(EINVAL) for a count that is not a u32', () => {
    const dev = fakeDevice({ name: 'x', channels: combinedOnly(8, 1), beginRet: -ERRNO.ENODEV });
    expect(ethnlSetChannels(dev, { combined: 2 })).toEqual({ ok: false, ret: -ERRNO.ENODEV });
    expect(dev.calls.getChannels).toBeUndefined();
    const ok = fakeDevice({ name: 'y', channels: combinedOnly(8, 1) });
    for (const bad of [-1, 1.5, 2 ** 32, Number.NaN]) {
      expect(() => ethnlSetChannels(ok, { combined: bad })).toThrow(EthtoolError);
    }
    expect(ok.calls.getChannels).toBeUndefined();
  });

  it('does not build a notification when nobody listens', () => {
    const dev = fakeDevice({ name: 'x', channels: combinedOnly(8, 1) });
    const notifier = createEthtoolNotifier();
    expect(ethnlSetChannels(dev, { combined: 2 }, { notifier })).toEqual({ ok: true, reply: null });
    expect(dev.calls.getChannels).toBe(1);
    const leave = notifier.subscribe(() => undefined);
    expect(ethnlSetChannels(dev, { combined: 3 }, { notifier })).toEqual({ ok: true, reply: null });
    expect(dev.calls.getChannels).toBe(3);
    leave();
    expect(notifier.hasListeners()).toBe(false);
  });
});

describe('ethtoolGetChannels / ethtoolSetChannels (net/ethtool/ioctl.c)', () => {
  it('gets the raw struct, or -EOPNOTSUPP', () => {
    const { dev } = setup();
    expect(ethtoolGetChannels(dev)).toEqual({ ok: true, value: combinedOnly(64, 1) });
    expect(ethtoolGetChannels(fakeDevice({ name: 'ifb0' }))).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
  });

  const counts = (combined: number, rx = 0, tx = 0, other = 0) => ({ rxCount: rx, txCount: tx, otherCount: other, combinedCount: combined });

  it('returns 0 for an unchanged set without the driver, applies and notifies a change', () => {
    const { dev, ctx, seen } = setup();
    expect(ethtoolSetChannels(dev, counts(1), ctx)).toEqual({ ok: true, value: null });
    expect(dev.calls.setChannels).toBeUndefined();
    expect(ethtoolSetChannels(dev, counts(16), ctx)).toEqual({ ok: true, value: null });
    expect(dev.channels?.combinedCount).toBe(16);
    expect(seen).toHaveLength(1);
  });

  it.each([
    ['a count above its maximum', counts(65)],
    ['rx on a combined-only device', counts(1, 1)],
    ['combined 0', counts(0)],
    ['no TX with rx only', counts(0, 2, 0)],
  ])('rejects %s with a bare -EINVAL', (_what, want) => {
    const { dev, ctx, seen } = setup();
    expect(ethtoolSetChannels(dev, want, ctx)).toEqual({ ok: false, ret: -ERRNO.EINVAL });
    expect(dev.channels).toEqual(combinedOnly(64, 1));
    expect(seen).toEqual([]);
  });

  it('runs the RSS / ntuple / memory-provider and AF_XDP checks without messages', () => {
    const { dev, ctx } = setup({ channels: combinedOnly(8, 8) });
    dev.rxfhMax = 6;
    expect(ethtoolSetChannels(dev, counts(6), ctx)).toEqual({ ok: false, ret: -ERRNO.EINVAL });
    dev.rxfhMax = 0;
    dev.xskQueues.add('rx7');
    expect(ethtoolSetChannels(dev, counts(7), ctx)).toEqual({ ok: false, ret: -ERRNO.EINVAL });
    expect(ethtoolSetChannels(dev, counts(8, 0, 0, 0), ctx)).toEqual({ ok: true, value: null });
  });

  it('returns the driver errno (device unchanged, no notification), and -EOPNOTSUPP without ops', () => {
    const { dev, ctx, seen } = setup({ channels: combinedOnly(64, 1), queueBudget: 0 });
    expect(ethtoolSetChannels(dev, counts(2), ctx)).toEqual({ ok: false, ret: -ERRNO.ENOSPC });
    expect(dev.channels).toEqual(combinedOnly(64, 1));
    expect(seen).toEqual([]);
    const ro = fakeDevice({ name: 'ro', channels: combinedOnly(4, 1), readOnlyChannels: true });
    expect(ethtoolSetChannels(ro, counts(2))).toEqual({ ok: false, ret: -ERRNO.EOPNOTSUPP });
    expect(() => ethtoolSetChannels(dev, counts(-1))).toThrow(EthtoolError);
  });
});
