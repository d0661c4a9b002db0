/**
 * NTB port numbers of the two EPF devices (ntb_port_number, ntb_peer_port_number). Neither
 * ntb_hw_epf nor pci-epf-vntb implements the port ops and both devices are NTB_TOPO_NONE, so
 * drivers/ntb/core.c's ntb_default_port_number / ntb_default_peer_port_number give each side
 * port 0 and peer port 0 (`same`, mainline). `distinct` is a model switch: the RC reports port 0
 * with its peer on port 1 and the EP port 1 with its peer on port 0, as port ops on the two
 * drivers would. Clients that order the sides by port number see the difference: ntb_perf
 * gives both sides global index 0 on `same` (one memory window does) and the EP index 1 on
 * `distinct` (it writes into window 1).
 */
import { ERRNO, showValue } from '@ntbsim/kernel';
import type { NtbDevOps } from '@ntbsim/ntb-core';
import { EpfError } from './errors.js';
import type { EpfSide } from './types.js';

/** How the two devices number their ports. */
export type EpfPortMode = 'same' | 'distinct';

/** The port modes. */
export const EPF_PORT_MODES: readonly EpfPortMode[] = ['same', 'distinct'];

/** `mode` if it is a port mode; EpfError EINVAL naming `field` otherwise. */
export function checkPortMode(mode: unknown, field: string): EpfPortMode {
  if (mode === 'same' || mode === 'distinct') return mode;
  throw new EpfError('EINVAL', 'config', `${field}: ${showValue(mode)} is not a port mode (allowed: ${EPF_PORT_MODES.join(', ')})`);
}

/** The port ops of `side`'s device in `mode` (one peer, index 0). */
export function portOps(mode: EpfPortMode, side: EpfSide): Pick<NtbDevOps, 'portNumber' | 'peerPortCount' | 'peerPortNumber' | 'peerPortIdx'> {
  const local = mode === 'distinct' && side === 'ep' ? 1 : 0;
  const peer = mode === 'distinct' && side === 'rc' ? 1 : 0;
  return {
    portNumber: () => local,
    peerPortCount: () => 1,
    peerPortNumber: (pidx) => (pidx === 0 ? peer : -ERRNO.EINVAL),
    peerPortIdx: (port) => (port === peer ? 0 : -ERRNO.EINVAL),
  };
}
