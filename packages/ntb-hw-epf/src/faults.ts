/**
 * Fault hooks for issue #8: each call changes exactly the hardware state it names.
 */
import { showValue, type Ns } from '@ntbsim/kernel';
import type { DmaEngine } from './dma.js';
import { EpfError } from './errors.js';
import type { Fabric } from './fabric.js';
import type { WcPolicy } from './ioWindow.js';
import type { DwMsiController } from './msi.js';
import type { NtbHwEpf } from './ntbHwEpf.js';
import type { EpfFaults, EpfSide } from './types.js';
import type { VntbFunction } from './vntb.js';

/** What the fault hooks act on. */
export interface FaultTargets {
  /** The link. */
  readonly fabric: Fabric;
  /** Both hosts' WC behaviour. */
  readonly wc: { readonly rc: WcPolicy; readonly ep: WcPolicy };
  /** The host driver. */
  readonly driver: NtbHwEpf;
  /** The endpoint function. */
  readonly vntb: VntbFunction;
  /** Both DMA engines. */
  readonly dma: { readonly rc: DmaEngine; readonly ep: DmaEngine };
  /** The RC's MSI controller (a spurious MSI comes through it as a real one does). */
  readonly msiController: DwMsiController;
}

function count(n: unknown, field: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) throw new EpfError('EINVAL', 'faults', `${field}: got ${showValue(n)}, allowed an integer ≥ 0`);
  return n;
}

/** Fault hooks over `t`. */
export function createFaults(t: FaultTargets): EpfFaults {
  let notified = true;
  return {
    linkDown: (options = {}) => {
      const notify = options.notify ?? true;
      if (typeof notify !== 'boolean') throw new EpfError('EINVAL', 'faults', `link down notify: got ${showValue(notify)}, allowed true or false`);
      if (!t.fabric.linkUp) return;
      notified = notify;
      t.fabric.loseLink();
      if (notify) t.vntb.onLinkLost();
      t.driver.linkChanged(true, notify);
    },
    linkLoss: () => (t.fabric.linkUp ? 'none' : notified ? 'notified' : 'silent'),
    linkUp: () => {
      if (t.fabric.linkUp) return;
      t.fabric.restore();
      if (notified) t.vntb.onLinkRestored();
      t.driver.linkChanged(false, notified);
    },
    setWcLinger: (ns: Ns, side: EpfSide | 'both' = 'both') => {
      if (typeof ns !== 'number' || !Number.isFinite(ns) || ns < 0) throw new EpfError('EINVAL', 'faults', `wc linger: got ${showValue(ns)}, allowed a finite number of ns ≥ 0`);
      if (side !== 'rc' && side !== 'ep' && side !== 'both') throw new EpfError('EINVAL', 'faults', `wc linger side: got ${showValue(side)}, allowed rc, ep or both`);
      if (side !== 'ep') t.wc.rc.lingerNs = Math.round(ns);
      if (side !== 'rc') t.wc.ep.lingerNs = Math.round(ns);
    },
    dropDoorbells: (n) => t.fabric.dropNextWrites('doorbell', count(n, 'doorbells to drop')),
    dropMsis: (n) => t.fabric.dropNextWrites('msi', count(n, 'MSIs to drop')),
    spuriousDoorbell: (target) => {
      if (target.to === 'ep') {
        t.vntb.ringSlot(target.slot);
        return;
      }
      if (target.to !== 'rc') throw new EpfError('EINVAL', 'faults', `spurious doorbell to: got ${showValue((target as { to: unknown }).to)}, allowed ep or rc`);
      const irq = t.driver.vectors[target.vector];
      if (irq === undefined) throw new EpfError('EINVAL', 'faults', `spurious MSI vector: got ${target.vector}, allowed 0..${t.driver.vectors.length - 1} (requested by the host probe)`);
      t.msiController.deliver(target.vector);
    },
    dmaError: (side, options = {}) => {
      const engine = side === 'rc' ? t.dma.rc : side === 'ep' ? t.dma.ep : null;
      if (engine === null) throw new EpfError('EINVAL', 'faults', `dma side: got ${showValue(side)}, allowed rc or ep`);
      engine.injectErrors(options.count ?? 1, options.channel);
    },
    stallEpHandler: (stalled) => {
      if (typeof stalled !== 'boolean') throw new EpfError('EINVAL', 'faults', `stall: got ${showValue(stalled)}, allowed true or false`);
      t.vntb.setStalled(stalled);
    },
  };
}
