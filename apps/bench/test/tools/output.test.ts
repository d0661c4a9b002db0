import { describe, expect, it } from 'vitest';
import { combinedOutput, interleaved, prependStdout, writeResult, writesOf } from '../../src/tools/output.js';
import { result } from '../../src/types.js';

describe('the order of a command\'s writes to stdout and stderr', () => {
  it('keeps each stream whole and records the order only when stderr came first somewhere', () => {
    const warned = interleaved(
      [
        { fd: 2, text: 'warning: w\n' },
        { fd: 1, text: 'report\n' },
        { fd: 2, text: '' },
      ],
      0,
    );
    expect(warned).toMatchObject({ stdout: 'report\n', stderr: 'warning: w\n', status: 0 });
    expect(writesOf(warned)).toEqual([
      { fd: 2, text: 'warning: w\n' },
      { fd: 1, text: 'report\n' },
    ]);
    expect(combinedOutput(warned)).toBe('warning: w\nreport\n');
    const plain = interleaved(
      [
        { fd: 1, text: 'a' },
        { fd: 2, text: 'b' },
      ],
      1,
    );
    expect(plain).toEqual(result('a', 'b', 1));
    expect(combinedOutput(plain)).toBe('ab');
  });

  it('puts what was printed before the command first, and writes each piece to its stream in order', () => {
    const r = prependStdout('server says\n', interleaved([{ fd: 2, text: 'e\n' }, { fd: 1, text: 'o\n' }], 0));
    expect(r).toMatchObject({ stdout: 'server says\no\n', stderr: 'e\n' });
    expect(combinedOutput(r)).toBe('server says\ne\no\n');
    expect(prependStdout('x', result('y', 'z'))).toEqual(result('xy', 'z'));
    const seen: string[] = [];
    writeResult(r, { write: (t) => seen.push(`1:${t}`) }, { write: (t) => seen.push(`2:${t}`) });
    expect(seen).toEqual(['1:server says\n', '2:e\n', '1:o\n']);
  });
});
