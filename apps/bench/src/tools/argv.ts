/**
 * getopt's walk over a command line, shared by the lab tools that parse their own options
 * (killall, pkill, ping; nstat and ss through `getoptLong`): operands, `--name[=value]` long options and `-abc` short clusters, in
 * order, as glibc's getopt / getopt_long permute them.
 */

/** One word of a command line as getopt sees it. */
export type ArgvWord =
  | { readonly kind: 'operand'; readonly text: string }
  | { readonly kind: 'long'; readonly name: string; readonly value: string | undefined }
  | { readonly kind: 'short'; readonly chars: string };

/**
 * The words of `args` (argv without the command name): an operand is a word not starting with
 * '-', a lone '-', or anything after '--'; `--name[=value]` is a long option (with `long: false`,
 * as plain getopt, its characters are a short cluster starting with '-'); `-abc` a short
 * cluster. `next()` takes the word after the current one, as an option's separate argument.
 */
export class ArgvWalker implements Iterable<ArgvWord> {
  private i = 0;

  constructor(
    private readonly args: readonly string[],
    private readonly long = true,
  ) {}

  /** The next word, consumed as the current option's argument; undefined at the end. */
  next(): string | undefined {
    return this.args[++this.i];
  }

  *[Symbol.iterator](): Iterator<ArgvWord> {
    for (this.i = 0; this.i < this.args.length; this.i++) {
      const a = this.args[this.i] as string;
      if (a === '--') {
        for (const text of this.args.slice(this.i + 1)) yield { kind: 'operand', text };
        return;
      }
      if (!a.startsWith('-') || a === '-') yield { kind: 'operand', text: a };
      else if (this.long && a.startsWith('--')) {
        const [name = '', value] = a.slice(2).split(/=(.*)/s);
        yield { kind: 'long', name, value };
      } else yield { kind: 'short', chars: a.slice(1) };
    }
  }
}

/** One long option of getopt_long: its name, the option character it stands for, whether it takes an argument. */
export type LongOption = readonly [name: string, c: string, hasArg: boolean];

/** What getopt_long gives for one word: an option (its character and argument) or an operand. */
export type GetoptItem = { readonly kind: 'option'; readonly c: string; readonly arg: string | undefined } | { readonly kind: 'operand'; readonly text: string };

/** glibc getopt_long's diagnostic for a bad option, as it prints it (`PROG: invalid option -- 'x'`, …), without the newline. */
export class GetoptError extends Error {}

/** The long option `name` abbreviates (a unique prefix, or several that all stand for the same option). */
function findLong(name: string, longopts: readonly LongOption[], prog: string): LongOption {
  const exact = longopts.find(([n]) => n === name);
  if (exact !== undefined) return exact;
  const prefixed = longopts.filter(([n]) => n.startsWith(name));
  const first = prefixed[0];
  if (first === undefined) throw new GetoptError(`${prog}: unrecognized option '--${name}'`);
  if (prefixed.some(([, c, a]) => c !== first[1] || a !== first[2])) throw new GetoptError(`${prog}: option '--${name}' is ambiguous; possibilities:${prefixed.map(([n]) => ` '--${n}'`).join('')}`);
  return first;
}

/**
 * getopt_long over `args` (argv without the command name): `optstring` lists the option
 * characters, a ':' after one that takes an argument (attached, or the next word); `longopts`
 * the long ones. Yields options and operands in order; throws GetoptError with glibc's message
 * for an unknown option, an ambiguous abbreviation, or a missing or unwanted argument.
 */
export function* getoptLong(args: readonly string[], optstring: string, longopts: readonly LongOption[], prog: string): Generator<GetoptItem> {
  const words = new ArgvWalker(args);
  for (const w of words) {
    if (w.kind === 'operand') {
      yield w;
      continue;
    }
    if (w.kind === 'long') {
      const [name, c, hasArg] = findLong(w.name, longopts, prog);
      if (!hasArg && w.value !== undefined) throw new GetoptError(`${prog}: option '--${name}' doesn't allow an argument`);
      const arg = hasArg ? (w.value ?? words.next()) : undefined;
      if (hasArg && arg === undefined) throw new GetoptError(`${prog}: option '--${name}' requires an argument`);
      yield { kind: 'option', c, arg };
      continue;
    }
    for (let j = 0; j < w.chars.length; j++) {
      const c = w.chars.charAt(j);
      const at = c === ':' ? -1 : optstring.indexOf(c);
      if (at < 0) throw new GetoptError(`${prog}: invalid option -- '${c}'`);
      if (optstring.charAt(at + 1) !== ':') {
        yield { kind: 'option', c, arg: undefined };
        continue;
      }
      const rest = w.chars.slice(j + 1);
      const arg = rest !== '' ? rest : words.next();
      if (arg === undefined) throw new GetoptError(`${prog}: option requires an argument -- '${c}'`);
      yield { kind: 'option', c, arg };
      break;
    }
  }
}
