/**
 * Link mode bits (enum ethtool_link_mode_bit_indices, include/uapi/linux/ethtool.h) with the
 * names the kernel reports for them (link_mode_names[], net/ethtool/common.c), and the two
 * ways userland ethtool classifies and orders them: netlink/settings.c's link_modes[] table
 * (class and duplex) and ethtool.c's mode_defs[] (the ioctl printer's order and line grouping).
 */

/** How userland ethtool's netlink printer classifies a link mode bit (enum link_mode_class). */
export type LinkModeClass = 'real' | 'autoneg' | 'port' | 'pause' | 'fec';

interface LinkModeDef {
  readonly name: string;
  readonly cls: LinkModeClass;
  readonly half?: true;
}

const R = (name: string): LinkModeDef => ({ name, cls: 'real' });
const H = (name: string): LinkModeDef => ({ name, cls: 'real', half: true });
const S = (name: string, cls: LinkModeClass): LinkModeDef => ({ name, cls });

/** Index = bit number; the kernel's link_mode_names[] up to 10baseT1S_P2MP/Half (bit 101). */
const DEFS: readonly LinkModeDef[] = [
  H('10baseT/Half'), R('10baseT/Full'), H('100baseT/Half'), R('100baseT/Full'),
  H('1000baseT/Half'), R('1000baseT/Full'), S('Autoneg', 'autoneg'), S('TP', 'port'),
  S('AUI', 'port'), S('MII', 'port'), S('FIBRE', 'port'), S('BNC', 'port'),
  R('10000baseT/Full'), S('Pause', 'pause'), S('Asym_Pause', 'pause'), R('2500baseX/Full'),
  S('Backplane', 'port'), R('1000baseKX/Full'), R('10000baseKX4/Full'), R('10000baseKR/Full'),
  R('10000baseR_FEC'), R('20000baseMLD2/Full'), R('20000baseKR2/Full'), R('40000baseKR4/Full'),
  R('40000baseCR4/Full'), R('40000baseSR4/Full'), R('40000baseLR4/Full'), R('56000baseKR4/Full'),
  R('56000baseCR4/Full'), R('56000baseSR4/Full'), R('56000baseLR4/Full'), R('25000baseCR/Full'),
  R('25000baseKR/Full'), R('25000baseSR/Full'), R('50000baseCR2/Full'), R('50000baseKR2/Full'),
  R('100000baseKR4/Full'), R('100000baseSR4/Full'), R('100000baseCR4/Full'), R('100000baseLR4_ER4/Full'),
  R('50000baseSR2/Full'), R('1000baseX/Full'), R('10000baseCR/Full'), R('10000baseSR/Full'),
  R('10000baseLR/Full'), R('10000baseLRM/Full'), R('10000baseER/Full'), R('2500baseT/Full'),
  R('5000baseT/Full'), S('None', 'fec'), S('RS', 'fec'), S('BASER', 'fec'),
  R('50000baseKR/Full'), R('50000baseSR/Full'), R('50000baseCR/Full'), R('50000baseLR_ER_FR/Full'),
  R('50000baseDR/Full'), R('100000baseKR2/Full'), R('100000baseSR2/Full'), R('100000baseCR2/Full'),
  R('100000baseLR2_ER2_FR2/Full'), R('100000baseDR2/Full'), R('200000baseKR4/Full'), R('200000baseSR4/Full'),
  R('200000baseLR4_ER4_FR4/Full'), R('200000baseDR4/Full'), R('200000baseCR4/Full'), R('100baseT1/Full'),
  R('1000baseT1/Full'), R('400000baseKR8/Full'), R('400000baseSR8/Full'), R('400000baseLR8_ER8_FR8/Full'),
  R('400000baseDR8/Full'), R('400000baseCR8/Full'), S('LLRS', 'fec'), R('100000baseKR/Full'),
  R('100000baseSR/Full'), R('100000baseLR_ER_FR/Full'), R('100000baseCR/Full'), R('100000baseDR/Full'),
  R('200000baseKR2/Full'), R('200000baseSR2/Full'), R('200000baseLR2_ER2_FR2/Full'), R('200000baseDR2/Full'),
  R('200000baseCR2/Full'), R('400000baseKR4/Full'), R('400000baseSR4/Full'), R('400000baseLR4_ER4_FR4/Full'),
  R('400000baseDR4/Full'), R('400000baseCR4/Full'), H('100baseFX/Half'), R('100baseFX/Full'),
  R('10baseT1L/Full'), R('800000baseCR8/Full'), R('800000baseKR8/Full'), R('800000baseDR8/Full'),
  R('800000baseDR8_2/Full'), R('800000baseSR8/Full'), R('800000baseVR8/Full'), R('10baseT1S/Full'),
  H('10baseT1S/Half'), H('10baseT1S_P2MP/Half'),
];

/** Every link mode name the kernel knows (link_mode_names[]), in bit order. */
export const LINK_MODE_NAMES: readonly string[] = DEFS.map((d) => d.name);

/** A link mode as the kernel names it: '10baseT/Half', 'Autoneg', 'Backplane', 'Pause', 'RS', … */
export type LinkModeName = string;

const BIT_BY_NAME = new Map<string, number>(DEFS.map((d, i) => [d.name, i]));

/** The bit number of a link mode name (ETHTOOL_LINK_MODE_*_BIT), or undefined when unknown. */
export function linkModeBit(name: string): number | undefined {
  return BIT_BY_NAME.get(name);
}

/** The kernel name and userland class of a link mode bit; bits past the table are 'real' (LM_CLASS_UNKNOWN). */
export function linkModeInfo(bit: number): { readonly name: string; readonly cls: LinkModeClass; readonly half: boolean } {
  const d = DEFS[bit];
  return d === undefined ? { name: `BIT${bit}`, cls: 'real', half: false } : { name: d.name, cls: d.cls, half: d.half === true };
}

/**
 * ethtool.c's mode_defs[] for the ioctl printer (dump_link_caps): bit order except that
 * 100000baseDR/Full precedes 100000baseCR/Full; `sameLine` modes continue the previous line.
 */
export const IOCTL_MODE_ORDER: readonly { readonly bit: number; readonly sameLine: boolean }[] = (() => {
  const order: { bit: number; sameLine: boolean }[] = [];
  const sameLine = new Set([1, 3, 5, 91]);
  for (let bit = 0; bit <= 98; bit++) {
    const d = DEFS[bit];
    if (d === undefined || d.cls !== 'real') continue;
    order.push({ bit, sameLine: sameLine.has(bit) });
  }
  const cr = order.findIndex((e) => e.bit === 78);
  const dr = order.findIndex((e) => e.bit === 79);
  const crEntry = order[cr];
  const drEntry = order[dr];
  if (crEntry !== undefined && drEntry !== undefined) {
    order[cr] = drEntry;
    order[dr] = crEntry;
  }
  return order;
})();
