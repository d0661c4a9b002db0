/** stdout/stderr accumulation for one ethtool run, with perror() as glibc formats it. */
import { strerror } from '@ntbsim/kernel';

/** The userland version the model reproduces (PACKAGE VERSION of the captured samples). */
export const ETHTOOL_VERSION = '6.1';

/** What the model has, named in its refusals. */
const MODEL_HAS = 'it has DEV, -a, -c, -C, -g, -G, -k, -K, -i, -d, -e, -S, -n, -T, -x, -P, -l, -L, -h, --version and --monitor';

/** The two output streams of a run. */
export class Output {
  /** Standard output so far. */
  stdout = '';
  /** Standard error so far. */
  stderr = '';

  /** fputs(s, stdout). */
  out(s: string): void {
    this.stdout += s;
  }

  /** fputs(s, stderr). */
  err(s: string): void {
    this.stderr += s;
  }

  /** perror(msg) with errno = -ret: "msg: strerror\n" on stderr. */
  perror(msg: string, ret: number): void {
    this.stderr += `${msg}: ${strerror(ret)}\n`;
  }

  /**
   * The refusal of something ethtool 6.1 has and the model does not (`what`: the option, e.g.
   * `-k`, or `-S --all-groups`; `has`: what the model offers instead). Returns the exit code, 1.
   */
  notImplemented(what: string, has: string = MODEL_HAS): number {
    this.stderr += `ethtool: ${what} is an ethtool ${ETHTOOL_VERSION} option this model does not implement (${has})\n`;
    return 1;
  }

  /** exit_bad_args(): the usage complaint; the caller exits 1. */
  badArgs(): number {
    this.stderr += 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';
    return 1;
  }
}
