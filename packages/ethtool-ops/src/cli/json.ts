/**
 * Userland ethtool's JSON output (json_writer.c in pretty mode, under json_print.c's
 * new_json_obj / delete_json_obj): an array of one object per reply, four-space indentation,
 * `[ {` … `} ]`, a comma before each further element and a newline at the end.
 */
import type { Output } from './output.js';

/** A pretty-printing json_writer on an Output's stdout. */
export class JsonWriter {
  private depth = 0;
  private sep = '';

  /** new_json_obj: the writer and its opening `[ `. */
  constructor(private readonly out: Output) {
    this.begin('[');
    this.out.out(' ');
  }

  /** jsonw_eor: the separator owed by the previous element. */
  private eor(): void {
    if (this.sep !== '') this.out.out(this.sep);
    this.sep = ',';
  }

  /** jsonw_eol: a newline and the current indentation. */
  private eol(): void {
    this.out.out(`\n${'    '.repeat(this.depth)}`);
  }

  private begin(c: string): void {
    this.eor();
    this.out.out(c);
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep !== '') this.eol();
    this.out.out(c);
    this.sep = ',';
  }

  /** jsonw_name: a property name, `"name": `. */
  private name(name: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.out.out(`${JSON.stringify(name)}: `);
  }

  /** open_json_object: an object, as a property when `name` is given. */
  openObject(name?: string): void {
    if (name !== undefined) this.name(name);
    this.begin('{');
  }

  /** close_json_object. */
  closeObject(): void {
    this.end('}');
  }

  /** print_string in JSON context: `"name": "value"`. */
  string(name: string, value: string): void {
    this.name(name);
    this.eor();
    this.out.out(JSON.stringify(value));
  }

  /** print_bool in JSON context (null for print_null). */
  bool(name: string, value: boolean | null): void {
    this.name(name);
    this.eor();
    this.out.out(value === null ? 'null' : String(value));
  }

  /** delete_json_obj: the closing `]` (after a space when something was written) and a newline. */
  close(): void {
    if (this.sep !== '') this.out.out(' ');
    this.sep = '';
    this.end(']');
    this.out.out('\n');
  }
}
