/**
 * The EPF config ("ctrl") region: `struct epf_ntb_ctrl` of pci-epf-vntb.c, which the host
 * driver ntb_hw_epf.c addresses through the NTB_EPF_* offsets of its config BAR. This module
 * owns that byte layout. Little-endian, packed, sizeof = 0x134:
 *
 * | off  | field            | width | meaning                                              |
 * |------|------------------|-------|------------------------------------------------------|
 * | 0x00 | command          | u32   | host writes a CMD_* code                              |
 * | 0x04 | argument         | u32   | CONFIGURE_DOORBELL: nvec in [15:0], MSIX_ENABLE bit16 |
 * | 0x08 | command_status   | u16   | EP writes OK=1 / ERROR=2, host clears it to 0         |
 * | 0x0A | link_status      | u16   | LINK_STATUS_UP = BIT(0)                               |
 * | 0x0C | topology         | u32   | unused by vNTB                                        |
 * | 0x10 | addr (lo, hi)    | u64   | host DMA address for CONFIGURE_MW                     |
 * | 0x18 | size (lo, hi)    | u64   | size for CONFIGURE_MW                                 |
 * | 0x20 | num_mws          | u32   | MW count                                              |
 * | 0x24 | reserved         | u32   | host reads it as MW1_OFFSET; always 0 in vNTB         |
 * | 0x28 | spad_offset      | u32   | 0x134 (2026 vNTB: ALIGN(sizeof ctrl, 4))              |
 * | 0x2C | spad_count       | u32   | scratchpads per side                                  |
 * | 0x30 | db_entry_size    | u32   | stride of doorbell slots in the DB BAR (4)            |
 * | 0x34 | db_data[32]      | u32   | value the host writes to ring slot n (n + 1)          |
 * | 0xB4 | db_offset[32]    | u32   | extra byte offset of slot n (0)                       |
 *
 * Scratchpads follow at `spad_offset`: the first `spad_count` words are the host's own
 * (`ntb_epf_spad_*`) and the EP's peer scratchpads (`vntb_epf_peer_spad_*`); the next
 * `spad_count` words are the EP's own and the host's peer scratchpads. So host-self ==
 * EP-peer and EP-self == host-peer.
 *
 * Command protocol (ntb_epf_send_command / epf_ntb_cmd_handler): the host writes ARGUMENT,
 * then COMMAND, and polls CMD_STATUS with `readw` every 5-10 us for up to 1 s; the EP's
 * delayed work reads COMMAND every `msecs_to_jiffies(5)` (8 ms at HZ 250), clears COMMAND and ARGUMENT, executes it and writes
 * CMD_STATUS; the host then writes 0 to CMD_STATUS.
 */

/** NTB_EPF_COMMAND: u32 command code. */
export const NTB_EPF_COMMAND = 0x00;
/** NTB_EPF_ARGUMENT: u32 command argument. */
export const NTB_EPF_ARGUMENT = 0x04;
/** NTB_EPF_CMD_STATUS: u16 command status (read with readw). */
export const NTB_EPF_CMD_STATUS = 0x08;
/** NTB_EPF_LINK_STATUS: u16 link status. */
export const NTB_EPF_LINK_STATUS = 0x0a;
/** NTB_EPF_TOPOLOGY: u32 topology (pci-epf-ntb only). */
export const NTB_EPF_TOPOLOGY = 0x0c;
/** NTB_EPF_LOWER_ADDR: low word of the CONFIGURE_MW address. */
export const NTB_EPF_LOWER_ADDR = 0x10;
/** NTB_EPF_UPPER_ADDR: high word of the CONFIGURE_MW address. */
export const NTB_EPF_UPPER_ADDR = 0x14;
/** NTB_EPF_LOWER_SIZE: low word of the CONFIGURE_MW size. */
export const NTB_EPF_LOWER_SIZE = 0x18;
/** NTB_EPF_UPPER_SIZE: high word of the CONFIGURE_MW size. */
export const NTB_EPF_UPPER_SIZE = 0x1c;
/** NTB_EPF_MW_COUNT: u32 number of MWs. */
export const NTB_EPF_MW_COUNT = 0x20;
/** NTB_EPF_MW1_OFFSET: u32 offset of MW1 in its BAR (`reserved`, 0 in vNTB). */
export const NTB_EPF_MW1_OFFSET = 0x24;
/** NTB_EPF_SPAD_OFFSET: u32 offset of the scratchpads in the config BAR. */
export const NTB_EPF_SPAD_OFFSET = 0x28;
/** NTB_EPF_SPAD_COUNT: u32 scratchpads per side. */
export const NTB_EPF_SPAD_COUNT = 0x2c;
/** NTB_EPF_DB_ENTRY_SIZE: u32 stride between doorbell slots (bytes). */
export const NTB_EPF_DB_ENTRY_SIZE = 0x30;

/** NTB_EPF_DB_DATA(n): u32 value to write to ring doorbell slot n (n = 0..31). */
export function NTB_EPF_DB_DATA(n: number): number {
  return 0x34 + n * 4;
}

/** NTB_EPF_DB_OFFSET(n): u32 extra byte offset of doorbell slot n (n = 0..31). */
export function NTB_EPF_DB_OFFSET(n: number): number {
  return 0xb4 + n * 4;
}

/** sizeof(struct epf_ntb_ctrl) (bytes). */
export const EPF_CTRL_SIZE = 0x134;
/** Entries of db_data[] / db_offset[] (MAX_DB_COUNT of pci-epf-vntb.c). */
export const EPF_MAX_DB_COUNT = 32;
/** Most memory windows (MAX_MW / NTB_EPF_MAX_MW_COUNT). */
export const EPF_MAX_MW = 4;

/** Command codes (ntb_hw_epf.c CMD_* / pci-epf-vntb.c COMMAND_*). */
export const EPF_CMD = {
  CONFIGURE_DOORBELL: 1,
  TEARDOWN_DOORBELL: 2,
  CONFIGURE_MW: 3,
  TEARDOWN_MW: 4,
  LINK_UP: 5,
  LINK_DOWN: 6,
} as const;

/** A command code. */
export type EpfCommand = (typeof EPF_CMD)[keyof typeof EPF_CMD];

/** COMMAND_STATUS_OK. */
export const COMMAND_STATUS_OK = 1;
/** COMMAND_STATUS_ERROR. */
export const COMMAND_STATUS_ERROR = 2;
/** LINK_STATUS_UP: bit 0 of link_status. */
export const LINK_STATUS_UP = 1;
/** MSIX_ENABLE: bit 16 of the CONFIGURE_DOORBELL argument. */
export const MSIX_ENABLE = 1 << 16;
/** NTB_EPF_MIN_DB_COUNT: the host needs at least this many doorbell vectors (+1 link vector). */
export const NTB_EPF_MIN_DB_COUNT = 3;
/** NTB_EPF_MAX_DB_COUNT: the host uses at most this many doorbell vectors (+1 link vector). */
export const NTB_EPF_MAX_DB_COUNT = 31;
/** NTB_EPF_COMMAND_TIMEOUT: host command timeout (ms). */
export const NTB_EPF_COMMAND_TIMEOUT_MS = 1000;

/** One field of the ctrl layout (for documentation and layout tests). */
export interface EpfCtrlField {
  /** Field name in struct epf_ntb_ctrl. */
  readonly name: string;
  /** Byte offset. */
  readonly offset: number;
  /** Width in bytes. */
  readonly width: 2 | 4 | 8;
  /** Array length, 1 for scalars. */
  readonly count: number;
}

/** The fields of struct epf_ntb_ctrl in order; they tile [0, EPF_CTRL_SIZE) exactly. */
export const EPF_CTRL_FIELDS: readonly EpfCtrlField[] = [
  { name: 'command', offset: NTB_EPF_COMMAND, width: 4, count: 1 },
  { name: 'argument', offset: NTB_EPF_ARGUMENT, width: 4, count: 1 },
  { name: 'command_status', offset: NTB_EPF_CMD_STATUS, width: 2, count: 1 },
  { name: 'link_status', offset: NTB_EPF_LINK_STATUS, width: 2, count: 1 },
  { name: 'topology', offset: NTB_EPF_TOPOLOGY, width: 4, count: 1 },
  { name: 'addr', offset: NTB_EPF_LOWER_ADDR, width: 8, count: 1 },
  { name: 'size', offset: NTB_EPF_LOWER_SIZE, width: 8, count: 1 },
  { name: 'num_mws', offset: NTB_EPF_MW_COUNT, width: 4, count: 1 },
  { name: 'reserved', offset: NTB_EPF_MW1_OFFSET, width: 4, count: 1 },
  { name: 'spad_offset', offset: NTB_EPF_SPAD_OFFSET, width: 4, count: 1 },
  { name: 'spad_count', offset: NTB_EPF_SPAD_COUNT, width: 4, count: 1 },
  { name: 'db_entry_size', offset: NTB_EPF_DB_ENTRY_SIZE, width: 4, count: 1 },
  { name: 'db_data', offset: NTB_EPF_DB_DATA(0), width: 4, count: EPF_MAX_DB_COUNT },
  { name: 'db_offset', offset: NTB_EPF_DB_OFFSET(0), width: 4, count: EPF_MAX_DB_COUNT },
];

/** Bytes of the ctrl + scratchpad allocation for `spadCount` scratchpads per side. */
export function epfCtrlRegionBytes(spadCount: number): number {
  return EPF_CTRL_SIZE + 2 * 4 * spadCount;
}

/**
 * The EP's own view of the ctrl region: typed little-endian accessors over EP memory
 * (`ntb->reg` in pci-epf-vntb.c). Local accesses; the caller charges their cost.
 */
export class EpfCtrl {
  private readonly view: DataView;

  /** A view over `bytes`, which must hold at least the ctrl struct and its scratchpads. */
  constructor(/** The region's memory (struct epf_ntb_ctrl at offset 0). */ readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Read a u16 at byte `off`. */
  u16(off: number): number {
    return this.view.getUint16(off, true);
  }

  /** Read a u32 at byte `off`. */
  u32(off: number): number {
    return this.view.getUint32(off, true);
  }

  /** Write a u16 at byte `off`. */
  setU16(off: number, value: number): void {
    this.view.setUint16(off, value & 0xffff, true);
  }

  /** Write a u32 at byte `off`. */
  setU32(off: number, value: number): void {
    this.view.setUint32(off, value >>> 0, true);
  }

  /** Read a u64 (lo word at `off`) as a number (exact below 2^53). */
  u64(off: number): number {
    return this.u32(off) + this.u32(off + 4) * 0x1_0000_0000;
  }

  /** Byte offset of scratchpad word `idx` of the half `half` (0: host-self/EP-peer, 1: EP-self/host-peer). */
  spadByteOffset(half: 0 | 1, idx: number): number {
    return this.u32(NTB_EPF_SPAD_OFFSET) + 4 * (half * this.u32(NTB_EPF_SPAD_COUNT) + idx);
  }
}
