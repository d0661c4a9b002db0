import { describe, expect, it } from 'vitest';
import {
  COMMAND_STATUS_ERROR,
  COMMAND_STATUS_OK,
  EPF_CMD,
  EPF_CTRL_FIELDS,
  EPF_CTRL_SIZE,
  EpfCtrl,
  LINK_STATUS_UP,
  MSIX_ENABLE,
  NTB_EPF_CMD_STATUS,
  NTB_EPF_DB_DATA,
  NTB_EPF_DB_ENTRY_SIZE,
  NTB_EPF_DB_OFFSET,
  NTB_EPF_LINK_STATUS,
  NTB_EPF_MW1_OFFSET,
  NTB_EPF_MW_COUNT,
  NTB_EPF_SPAD_COUNT,
  NTB_EPF_SPAD_OFFSET,
} from '../src/index.js';
import { inStep, probedPair } from './helpers.js';

describe('EPF config region layout', () => {
  it('matches the NTB_EPF_* offsets and tiles struct epf_ntb_ctrl exactly (sizeof = 0x134)', () => {
    let next = 0;
    for (const f of EPF_CTRL_FIELDS) {
      expect({ name: f.name, offset: f.offset }).toEqual({ name: f.name, offset: next });
      next += f.width * f.count;
    }
    expect(next).toBe(0x134);
    expect(EPF_CTRL_SIZE).toBe(0x134);
    const at = Object.fromEntries(EPF_CTRL_FIELDS.map((f) => [f.name, f.offset]));
    expect(at).toEqual({
      command: 0x00,
      argument: 0x04,
      command_status: 0x08,
      link_status: 0x0a,
      topology: 0x0c,
      addr: 0x10,
      size: 0x18,
      num_mws: 0x20,
      reserved: 0x24,
      spad_offset: 0x28,
      spad_count: 0x2c,
      db_entry_size: 0x30,
      db_data: 0x34,
      db_offset: 0xb4,
    });
    expect(NTB_EPF_DB_DATA(31)).toBe(0xb0);
    expect(NTB_EPF_DB_OFFSET(31)).toBe(0x130);
  });

  it('uses the kernel command and status codes', () => {
    expect(EPF_CMD).toEqual({ CONFIGURE_DOORBELL: 1, TEARDOWN_DOORBELL: 2, CONFIGURE_MW: 3, TEARDOWN_MW: 4, LINK_UP: 5, LINK_DOWN: 6 });
    expect([COMMAND_STATUS_OK, COMMAND_STATUS_ERROR, LINK_STATUS_UP, MSIX_ENABLE]).toEqual([1, 2, 1, 0x10000]);
  });

  it('is filled by the vNTB bind: spad_offset 0x134, counts, db_entry_size 4, db_data[i] = i + 1', () => {
    const { sim, pair } = probedPair({ vntb: { dbCount: 16, spadCount: 128 } });
    sim.run({ until: sim.now + 100_000 });
    const c = new EpfCtrl(pair.ctrlBytes);
    expect(c.u32(NTB_EPF_SPAD_OFFSET)).toBe(0x134);
    expect(c.u32(NTB_EPF_SPAD_COUNT)).toBe(128);
    expect(c.u32(NTB_EPF_MW_COUNT)).toBe(1);
    expect(c.u32(NTB_EPF_MW1_OFFSET)).toBe(0);
    expect(c.u32(NTB_EPF_DB_ENTRY_SIZE)).toBe(4);
    for (let i = 0; i < 32; i++) {
      expect(c.u32(NTB_EPF_DB_DATA(i))).toBe(i < 16 ? i + 1 : 0);
      expect(c.u32(NTB_EPF_DB_OFFSET(i))).toBe(0);
    }
    expect(c.u16(NTB_EPF_LINK_STATUS)).toBe(0);
    expect(c.u16(NTB_EPF_CMD_STATUS)).toBe(0);
    expect(pair.ctrlBytes.length).toBeGreaterThanOrEqual(0x134 + 2 * 4 * 128);
  });

  it('places host-self/EP-peer scratchpads first and EP-self/host-peer second, little-endian', () => {
    const { sim, rc, ep, pair } = probedPair({ vntb: { spadCount: 128 } });
    inStep(rc, (ctx) => {
      pair.rc.spadWrite(3, 0x11223344, ctx);
      pair.rc.peerSpadWrite(0, 4, 0xa0b0c0d0, ctx);
    });
    inStep(ep, (ctx) => {
      pair.ep.spadWrite(5, 0x55667788, ctx);
      pair.ep.peerSpadWrite(0, 6, 0x99aabbcc, ctx);
    });
    sim.run({ until: sim.now + 1_000_000 });
    const v = new DataView(pair.ctrlBytes.buffer, pair.ctrlBytes.byteOffset);
    expect(v.getUint32(0x134 + 4 * 3, true)).toBe(0x11223344);
    expect(v.getUint32(0x134 + 4 * 128 + 4 * 4, true)).toBe(0xa0b0c0d0);
    expect(v.getUint32(0x134 + 4 * 128 + 4 * 5, true)).toBe(0x55667788);
    expect(v.getUint32(0x134 + 4 * 6, true)).toBe(0x99aabbcc);
    expect(pair.ctrlBytes[0x134 + 12]).toBe(0x44);
  });
});
