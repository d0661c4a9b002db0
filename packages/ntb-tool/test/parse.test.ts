/**
 * The kernel's parsers as ntb_tool's handlers use them: kstrto*_from_user (base 0) with their
 * buffer lengths, kstrtobool_from_user, and vsscanf's `"%c %lli"` and `"%lli:%zi"`.
 */
import { ERRNO } from '@ntbsim/kernel';
import { describe, expect, it } from 'vitest';
import { kstrtoboolFromUser, kstrtou32FromUser, kstrtou64FromUser, scanAddrSize, scanCmdBits } from '../src/parse.js';

describe('kstrto*_from_user (base 0)', () => {
  it('reads decimal, 0x hex and 0 octal, an optional + and one trailing newline', () => {
    expect(['16384\n', '0x4000', '0X4000\n', '040000', '+1', '0'].map(kstrtou32FromUser)).toEqual([16384, 16384, 16384, 16384, 1, 0]);
    expect(kstrtou64FromUser('0xffffffffffffffff\n')).toBe(0xffff_ffff_ffff_ffffn);
  });

  it('refuses junk with EINVAL and values past the type with ERANGE', () => {
    for (const s of ['', '\n', '-1', ' 1', '1 ', '1\n\n', '0x', '08', '1a', 'x1']) expect(kstrtou32FromUser(s)).toBe(-ERRNO.EINVAL);
    expect(kstrtou32FromUser('4294967296')).toBe(-ERRNO.ERANGE);
    expect(kstrtou64FromUser('18446744073709551616')).toBe(-ERRNO.ERANGE);
  });

  it('parses only the buffer it copies: 34 bytes for u32, 66 for u64', () => {
    expect(kstrtou32FromUser(`${'0'.repeat(33)}7x`)).toBe(7);
    expect(kstrtou32FromUser(`${'0'.repeat(34)}7`)).toBe(0);
    expect(kstrtou64FromUser(`${'0'.repeat(65)}7`)).toBe(7n);
    expect(kstrtou64FromUser(`${'0'.repeat(66)}7`)).toBe(0n);
  });
});

describe('kstrtobool_from_user', () => {
  it('looks at the first characters only', () => {
    expect(['Y\n', 'yes', 't', 'T', '1', 'on', 'ON\n'].map(kstrtoboolFromUser)).toEqual([true, true, true, true, true, true, true]);
    expect(['N\n', 'no', 'f', 'F', '0', 'off', 'oF'].map(kstrtoboolFromUser)).toEqual([false, false, false, false, false, false, false]);
    expect(['', 'o', 'ox', '2', ' y', 'maybe'].map(kstrtoboolFromUser)).toEqual(Array(6).fill(-ERRNO.EINVAL));
  });
});

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
