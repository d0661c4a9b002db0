/**
 * getopt's walk over a command line, shared by the lab tools that parse their own options
 * (killall, pkill, ping): operands, `--name[=value]` long options and `-abc` short clusters, in
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
