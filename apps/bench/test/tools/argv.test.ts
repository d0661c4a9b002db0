import { describe, expect, it } from 'vitest';
import { ArgvWalker, GetoptError, getoptLong, type ArgvWord, type LongOption } from '../../src/tools/argv.js';

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

describe('getoptLong', () => {
  const longopts: readonly LongOption[] = [
    ['numeric', 'n', false],
    ['net', 'N', true],
    ['info', 'i', false],
    ['ipv4', '4', false],
    ['interval', 't', true],
    ['interval-ms', 't', true],
  ];
  const run = (args: readonly string[]): (string | undefined)[][] => [...getoptLong(args, 'ni4N:t:', longopts, 'x')].map((it) => (it.kind === 'operand' ? ['operand', it.text] : [it.c, it.arg]));

  it('walks short clusters, attached and separate arguments, long options and unique abbreviations, operands in order', () => {
    expect(run(['-ni', 'a', '-Nfoo', '-t', '5', '--num', '--net=bar', '--inf', '--', '-n'])).toEqual([
      ['n', undefined],
      ['i', undefined],
      ['operand', 'a'],
      ['N', 'foo'],
      ['t', '5'],
      ['n', undefined],
      ['N', 'bar'],
      ['i', undefined],
      ['operand', '-n'],
    ]);
    // Several matches that all stand for the same option are no ambiguity (glibc).
    expect(run(['--interv', '3'])).toEqual([['t', '3']]);
  });

  it("throws glibc's messages for unknown, ambiguous, missing or unwanted arguments", () => {
    expect(() => run(['-q'])).toThrow(new GetoptError("x: invalid option -- 'q'"));
    expect(() => run(['-n:'])).toThrow(new GetoptError("x: invalid option -- ':'"));
    expect(() => run(['-N'])).toThrow(new GetoptError("x: option requires an argument -- 'N'"));
    expect(() => run(['--bogus'])).toThrow(new GetoptError("x: unrecognized option '--bogus'"));
    expect(() => run(['--i'])).toThrow(new GetoptError("x: option '--i' is ambiguous; possibilities: '--info' '--ipv4' '--interval' '--interval-ms'"));
    expect(() => run(['--info=1'])).toThrow(new GetoptError("x: option '--info' doesn't allow an argument"));
    expect(() => run(['--net'])).toThrow(new GetoptError("x: option '--net' requires an argument"));
  });
});
