/** stdout/stderr accumulation for one ethtool run, with perror() as glibc formats it. */
import { strerror } from '@ntbsim/kernel';

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

  /** exit_bad_args(): the usage complaint; the caller exits 1. */
  badArgs(): number {
    this.stderr += 'ethtool: bad command line argument(s)\nFor more information run ethtool -h\n';
    return 1;
  }
}
