/**
 * vsscanf's `"%c %lli"` and `"%lli:%zi"` as ntb_tool's handlers use them (the kstrto*
 * conversions are the kernel package's, tested there).
 */
import { describe, expect, it } from 'vitest';
import { scanAddrSize, scanCmdBits } from '../src/parse.js';

describe('sscanf', () => {
  it('"%c %lli": any first byte, white space optional, signed base-0 value wrapping to u64', () => {
    expect(scanCmdBits('s 1\n')).toEqual({ cmd: 's', bits: 1n });
    expect(scanCmdBits('c0x10')).toEqual({ cmd: 'c', bits: 16n });
    expect(scanCmdBits('s   -1')).toEqual({ cmd: 's', bits: 0xffff_ffff_ffff_ffffn });
    // %c takes the space itself; the handler then refuses the command.
    expect(scanCmdBits(' 1')).toEqual({ cmd: ' ', bits: 1n });
    expect(scanCmdBits('s\n')).toBeNull();
    expect(scanCmdBits('s x')).toBeNull();
    expect(scanCmdBits('')).toBeNull();
  });

  it('"%lli:%zi": both values, or null', () => {
    expect(scanAddrSize('0xADD0BA5E:16384\n')).toEqual({ addr: 0xadd0ba5en, size: 16384n });
    expect(scanAddrSize(' 1: 0x10')).toEqual({ addr: 1n, size: 16n });
    expect(scanAddrSize('1 :2')).toBeNull();
    expect(scanAddrSize('1:')).toBeNull();
    expect(scanAddrSize(':2')).toBeNull();
  });
});
