import { describe, expect, it } from 'vitest';
import { IOCTL_MODE_ORDER } from '../src/linkModes.js';
import { LINK_MODE_NAMES, linkModeBit, linkModeInfo } from '../src/index.js';

describe('link mode table (enum ethtool_link_mode_bit_indices, link_mode_names[])', () => {
  it('names the kernel bits up to 10baseT1S_P2MP/Half', () => {
    expect(LINK_MODE_NAMES).toHaveLength(102);
    expect(linkModeBit('10baseT/Half')).toBe(0);
    expect(linkModeBit('Autoneg')).toBe(6);
    expect(linkModeBit('Backplane')).toBe(16);
    expect(linkModeBit('None')).toBe(49);
    expect(linkModeBit('LLRS')).toBe(74);
    expect(linkModeBit('100000baseCR/Full')).toBe(78);
    expect(linkModeBit('800000baseVR8/Full')).toBe(98);
    expect(linkModeBit('10baseT1S_P2MP/Half')).toBe(101);
    expect(linkModeBit('nope')).toBeUndefined();
  });

  it('classifies bits as netlink/settings.c does, unknown bits as real modes', () => {
    expect(linkModeInfo(16)).toEqual({ name: 'Backplane', cls: 'port', half: false });
    expect(linkModeInfo(13).cls).toBe('pause');
    expect(linkModeInfo(51).cls).toBe('fec');
    expect(linkModeInfo(90)).toEqual({ name: '100baseFX/Half', cls: 'real', half: true });
    expect(linkModeInfo(150)).toEqual({ name: 'BIT150', cls: 'real', half: false });
  });

  it('orders the ioctl printer like mode_defs[] (DR before CR at 100G, same-line Full after Half)', () => {
    const bits = IOCTL_MODE_ORDER.map((m) => m.bit);
    expect(bits.indexOf(79)).toBe(bits.indexOf(78) - 1);
    expect(IOCTL_MODE_ORDER.filter((m) => m.sameLine).map((m) => m.bit)).toEqual([1, 3, 5, 91]);
    expect(bits).not.toContain(16);
    expect(bits).not.toContain(99);
  });
});
