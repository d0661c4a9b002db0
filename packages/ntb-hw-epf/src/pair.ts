/**
 * `createEpfPair`: one RC + EP pair of boards joined by PCIe, with R-Car S4 defaults. It checks
 * the whole configuration first (EpfError, nothing built), binds pci-epf-vntb on the EP
 * (registering the EP's NTB device on its bus), and starts ntb_hw_epf's probe on the RC, which
 * registers the RC's NTB device once CONFIGURE_DOORBELL has completed over the fabric.
 */
import { pcieBytesPerSec, type IrqVector, type Ns, showValue } from '@ntbsim/kernel';
import { createNtbBus } from '@ntbsim/ntb-core';
import { planBars, resolveVntbConfig } from './barPlan.js';
import { checkDoorbellMode } from './doorbell.js';
import { checkPortMode } from './ports.js';
import { hostDmaEngine } from './dma.js';
import { EpfError } from './errors.js';
import { Fabric, type BusTarget } from './fabric.js';
import { createFaults } from './faults.js';
import type { WcPolicy } from './ioWindow.js';
import { hostMemory } from './memory.js';
import { DW_MSI_MODES, DwMsiController, MsiCapability } from './msi.js';
import { NtbHwEpf } from './ntbHwEpf.js';
import type { EpfPair, EpfPairConfig, EpfPairOptions, EpfProbeState } from './types.js';
import { VntbFunction } from './vntb.js';

/** Default completion timeout of a read on a dead link (ns): the low end of the PCIe default range (50 µs-50 ms). */
const DEFAULT_COMPLETION_TIMEOUT_NS = 50_000;
/** Posted buffering ahead of the link (bytes; estimate: DWC outbound posted queue plus the partner's posted data credits). */
const DEFAULT_POSTED_BUFFER_BYTES = 8192;

function checkNs(value: unknown, field: string, min: number): Ns {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new EpfError('EINVAL', 'config', `${field}: got ${showValue(value)}, allowed a finite number of ns ≥ ${min}`);
  }
  return Math.round(value);
}

/** Build an RC + EP pair (ntb_hw_epf on `rc`, pci-epf-vntb on `ep`); throws EpfError on a bad configuration. */
export function createEpfPair(options: EpfPairOptions): EpfPair {
  const { rc, ep } = options;
  if (rc.sim !== ep.sim) throw new EpfError('EINVAL', 'config', `hosts ${rc.name} and ${ep.name} belong to different simulations`);
  if (rc === ep) throw new EpfError('EINVAL', 'config', `rc and ep are the same host (${rc.name})`);
  const rcMode = checkDoorbellMode(options.doorbell?.rc ?? 'legacy', 'doorbell.rc');
  const epMode = checkDoorbellMode(options.doorbell?.ep ?? 'legacy', 'doorbell.ep');
  const ports = checkPortMode(options.ports ?? 'same', 'ports');
  const vopts = options.vntb ?? {};
  const cfg = resolveVntbConfig(vopts, { epMsiVectors: ep.profile.pcie.msiVectors.value, epMode });
  const plan = planBars(cfg, vopts);
  const linger = checkNs(options.wcLingerNs ?? 0, 'wcLingerNs', 0);
  const cto = checkNs(options.completionTimeoutNs ?? DEFAULT_COMPLETION_TIMEOUT_NS, 'completionTimeoutNs', 1);
  const postedBufferBytes = options.postedBufferBytes ?? DEFAULT_POSTED_BUFFER_BYTES;
  if (!Number.isSafeInteger(postedBufferBytes) || postedBufferBytes < 0) {
    throw new EpfError('EINVAL', 'config', `postedBufferBytes: got ${showValue(postedBufferBytes)}, allowed an integer number of bytes ≥ 0`);
  }
  const rcName = options.names?.rc ?? '0000:01:00.0';
  const epName = options.names?.ep ?? `0000:${cfg.vbusNumber.toString(16).padStart(2, '0')}:00.0`;
  if (rcName === epName) throw new EpfError('EINVAL', 'config', `names: rc and ep are both ${showValue(rcName)}`);
  const buses = options.buses ?? { rc: createNtbBus(), ep: createNtbBus() };

  const wc: { rc: WcPolicy; ep: WcPolicy } = { rc: { lingerNs: linger }, ep: { lingerNs: linger } };
  const msi = new MsiCapability(cfg.msiVectors);
  const msiMode = options.msi ?? 'redirect';
  if (!DW_MSI_MODES.includes(msiMode)) throw new EpfError('EINVAL', 'config', `msi: got ${showValue(msiMode)}, allowed ${DW_MSI_MODES.join(', ')}`);
  const msiController = new DwMsiController(rc, msiMode);
  const rcMem = hostMemory(rc);
  const rcTarget: BusTarget = {
    resolve: (addr, len) => {
      const region = rcMem.find(addr, len);
      return region === null ? null : { region, offset: addr - region.dmaAddr };
    },
  };
  let vntb: VntbFunction | null = null;
  const epTarget: BusTarget = { resolve: (addr, len) => vntb?.resolve(addr, len) ?? null };
  const fabric = new Fabric(rc.sim, {
    bytesPerSec: Math.min(pcieBytesPerSec(rc.profile), pcieBytesPerSec(ep.profile)),
    latencyNs: Math.max(rc.profile.pcie.latencyNs.value, ep.profile.pcie.latencyNs.value),
    completionTimeoutNs: cto,
    postedBufferBytes,
    epTarget,
    rcTarget,
  });
  const fn = new VntbFunction({ host: ep, fabric, config: cfg, plan, mode: epMode, ports, msi, wc: wc.ep, name: epName, doorbellIrq: cfg.doorbellIrq });
  vntb = fn;
  const driver = new NtbHwEpf({ host: rc, fabric, plan, mode: rcMode, ports, msi, msiController, wc: wc.rc, name: rcName, bus: buses.rc });
  const dma = { rc: hostDmaEngine(rc), ep: hostDmaEngine(ep) };
  buses.ep.registerDevice(fn.dev);
  driver.probe();

  const config: EpfPairConfig = {
    doorbell: { rc: rcMode, ep: epMode },
    ports,
    numMws: cfg.numMws,
    mwSizes: cfg.mwSizes,
    mwOffsets: cfg.mwOffsets,
    dbCount: cfg.dbCount,
    spadCount: cfg.spadCount,
    msiVectors: cfg.msiVectors,
    doorbellIrq: cfg.doorbellIrq,
    bars: { bar0: { ...plan.bar0 }, bar2: { ...plan.bar2 }, bar4: { ...plan.bar4 } },
    hostMwSizes: plan.mws.map((m) => m.hostSize),
    epOutbound: plan.mws.map((m) => m.outbound),
  };
  return {
    rc: driver.dev,
    ep: fn.dev,
    buses,
    fabric,
    dma,
    faults: createFaults({ fabric, wc, driver, vntb: fn, dma, msiController }),
    msiController,
    config,
    rcIrqs: (): readonly IrqVector[] => driver.vectors,
    epIrqs: (): readonly IrqVector[] => fn.doorbellIrqs,
    probe: (): EpfProbeState => driver.probeResult,
    whenProbed: (cb) => driver.whenProbed(cb),
    stats: () => ({ rc: driver.stats, ep: fn.stats }),
    ctrlBytes: fn.ctrlRegion.bytes,
    dbBytes: fn.dbRegion.bytes,
  };
}
