import { describe, expect, it } from 'vitest';
import { ArgvWalker, type ArgvWord } from '../../src/tools/argv.js';

describe('ArgvWalker (getopt\'s walk)', () => {
  it('yields operands, long options with or without =value, and short clusters; after -- only operands', () => {
    expect([...new ArgvWalker(['-qI', 'iperf3', '--signal=KILL', '--quiet', '-', '--', '-x', '--y'])]).toEqual<ArgvWord[]>([
      { kind: 'short', chars: 'qI' },
      { kind: 'operand', text: 'iperf3' },
      { kind: 'long', name: 'signal', value: 'KILL' },
      { kind: 'long', name: 'quiet', value: undefined },
      { kind: 'operand', text: '-' },
      { kind: 'operand', text: '-x' },
      { kind: 'operand', text: '--y' },
    ]);
  });

  it('next() takes the following word as an option argument, which the walk then skips', () => {
    const words = new ArgvWalker(['-s', 'HUP', 'name', '-c']);
    const seen: string[] = [];
    for (const w of words) {
      if (w.kind === 'short') seen.push(`-${w.chars}=${words.next() ?? '(none)'}`);
      else if (w.kind === 'operand') seen.push(w.text);
    }
    expect(seen).toEqual(['-s=HUP', 'name', '-c=(none)']);
  });

  it('without long options (plain getopt) --name is a cluster starting with -', () => {
    expect([...new ArgvWalker(['--foo=1'], false)]).toEqual([{ kind: 'short', chars: '-foo=1' }]);
  });
});
