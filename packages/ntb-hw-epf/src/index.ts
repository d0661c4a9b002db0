export {
  BAR2_CEILING_BYTES,
  BAR4_BYTES,
  EP_OUTBOUND_BASE,
  EP_OUTBOUND_BYTES,
  EPC_PAGE_BYTES,
  planBars,
  RC_MEM_WINDOW_BASE,
  REBAR_MIN_BYTES,
  resolveVntbConfig,
  type BarInfo,
  type EpfBarPlan,
  type MwPlan,
  type VntbConfig,
} from './barPlan.js';
export {
  COMMAND_STATUS_ERROR,
  COMMAND_STATUS_OK,
  EPF_CMD,
  EPF_CTRL_FIELDS,
  EPF_CTRL_SIZE,
  EPF_MAX_DB_COUNT,
  EPF_MAX_MW,
  EpfCtrl,
  epfCtrlRegionBytes,
  LINK_STATUS_UP,
  MSIX_ENABLE,
  NTB_EPF_ARGUMENT,
  NTB_EPF_CMD_STATUS,
  NTB_EPF_COMMAND,
  NTB_EPF_COMMAND_TIMEOUT_MS,
  NTB_EPF_DB_DATA,
  NTB_EPF_DB_ENTRY_SIZE,
  NTB_EPF_DB_OFFSET,
  NTB_EPF_LINK_STATUS,
  NTB_EPF_LOWER_ADDR,
  NTB_EPF_LOWER_SIZE,
  NTB_EPF_MAX_DB_COUNT,
  NTB_EPF_MIN_DB_COUNT,
  NTB_EPF_MW1_OFFSET,
  NTB_EPF_MW_COUNT,
  NTB_EPF_SPAD_COUNT,
  NTB_EPF_SPAD_OFFSET,
  NTB_EPF_TOPOLOGY,
  NTB_EPF_UPPER_ADDR,
  NTB_EPF_UPPER_SIZE,
  type EpfCommand,
  type EpfCtrlField,
} from './configRegion.js';
export {
  checkDoorbellMode,
  DOORBELL_MODES,
  EPF_IRQ_DB_START,
  EPF_IRQ_LINK,
  EPF_IRQ_RESERVED_DB,
  epDbValidMask,
  epDbVectorCount,
  epLegacyMsi,
  epPerBitMsi,
  epPollFirstSlot,
  epSlotEvent,
  ffs,
  hostDbValidMask,
  hostDbVectorCount,
  hostIsrAction,
  hostPeerDbSlot,
  VNTB_PEER_DB_WORK_BUDGET,
  type HostIsrAction,
} from './doorbell.js';
export { DmaEngine, hostDmaEngine } from './dma.js';
export { EpfError, type EpfErrorCode } from './errors.js';
export { Fabric, FABRIC_DIRECTIONS, type BusTarget, type FabricOptions, type PostedWrite, type ReadResult } from './fabric.js';
export { createFaults, type FaultTargets } from './faults.js';
export { CpuWriteQueue } from './flowControl.js';
export { WcWindow, type WcPolicy, type WcWindowOptions } from './ioWindow.js';
export { hostMemory, MemRegion, PhysMemory, type RegionWriteHook } from './memory.js';
export { DW_MSI_GIC_HWIRQ, DW_MSI_MODES, DwMsiController, MsiCapability, type DwMsiMode } from './msi.js';
export { NtbHwEpf, type NtbHwEpfOptions } from './ntbHwEpf.js';
export { createEpfPair } from './pair.js';
export { checkPortMode, EPF_PORT_MODES, portOps, type EpfPortMode } from './ports.js';
export type {
  DmaStats,
  DoorbellMode,
  EpfDmaEngine,
  EpfEndpointStats,
  EpfFaults,
  EpfLinkDownOptions,
  EpfHostStats,
  EpfPair,
  EpfPairConfig,
  EpfPairOptions,
  EpfProbeState,
  EpfSide,
  FabricDirection,
  LandEvent,
  LinkStats,
  PcieFabric,
  TlpKind,
  VntbOptions,
} from './types.js';
export { VntbFunction, type VntbOptionsResolved } from './vntb.js';
