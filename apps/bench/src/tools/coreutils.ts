/**
 * What GNU coreutils 9.1 (as Debian 12 builds it) prints around each tool's own text: the end
 * of `--help` (`emit_ancillary_info`: the online help, then — the boards' shell running in the
 * C locale, not an `en_*` one — the translation-bugs line, then the documentation pointers), the
 * `Try 'PROG --help'` line after a usage error (`emit_try_help`), and `--version`
 * (`version_etc`: version, copyright, licence, authors).
 */

/** The last lines of `PROG --help` (emit_ancillary_info). */
export function coreutilsHelpTail(prog: string): string {
  return (
    'GNU coreutils online help: <https://www.gnu.org/software/coreutils/>\n' +
    'Report any translation bugs to <https://translationproject.org/team/>\n' +
    `Full documentation <https://www.gnu.org/software/coreutils/${prog}>\n` +
    `or available locally via: info '(coreutils) ${prog} invocation'\n`
  );
}

/** The line after a usage error (emit_try_help). */
export function coreutilsTryHelp(prog: string): string {
  return `Try '${prog} --help' for more information.\n`;
}

/** `PROG --version` (version_etc with coreutils 9.1's copyright year), `authors` as the `Written by` line names them. */
export function coreutilsVersion(prog: string, authors: string): string {
  return (
    `${prog} (GNU coreutils) 9.1\nCopyright (C) 2022 Free Software Foundation, Inc.\n` +
    'License GPLv3+: GNU GPL version 3 or later <https://gnu.org/licenses/gpl.html>.\n' +
    'This is free software: you are free to change and redistribute it.\n' +
    `There is NO WARRANTY, to the extent permitted by law.\n\nWritten by ${authors}.\n`
  );
}
