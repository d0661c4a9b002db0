/**
 * What the lab's iproute2 tools (`ip`, `ss`, `nstat`, `tc`) share, as iproute2 6.1 (Debian 12)
 * has it in lib/: the release they report, `matches()` (lib/utils.c), by which every keyword may
 * be abbreviated, and json_writer (lib/json_writer.c), the JSON printer behind `-j` and `-p`.
 */

/** The iproute2 release the lab's tools claim (Debian 12's). */
export const IPROUTE2_VERSION = '6.1.0';

/** iproute2 `matches(word, full)`: `word` is a non-empty prefix of `full`. */
export function matches(word: string | undefined, full: string): boolean {
  return word !== undefined && word !== '' && full.startsWith(word);
}

/**
 * lib/json_writer.c's writer: `sep` (',' once a value has been written at this level) and
 * `depth` decide every comma, newline and indent as jsonw_eor/jsonw_eol/jsonw_begin/jsonw_end
 * do. Pretty (`-p`): a newline and four spaces per level before each member name, `": "`
 * after it, `[ ` and ` ]` around a non-empty array whose values stay on one line, `[ ]` and
 * `{}` when empty. `text()` ends the document with jsonw_destroy's newline.
 */
export class JsonWriter {
  private out = '';
  private depth = 0;
  private sep = '';

  constructor(private readonly pretty: boolean) {}

  /** jsonw_start_object. */
  startObject(): void {
    this.begin('{');
  }

  /** jsonw_end_object. */
  endObject(): void {
    this.end('}');
  }

  /** jsonw_start_array: `[`, and a space when pretty. */
  startArray(): void {
    this.begin('[');
    if (this.pretty) this.out += ' ';
  }

  /** jsonw_end_array: a space before `]` when pretty and the array has values. */
  endArray(): void {
    if (this.pretty && this.sep !== '') this.out += ' ';
    this.sep = '';
    this.end(']');
  }

  /** jsonw_name: a member's name, the value to follow. */
  name(key: string): void {
    this.eor();
    this.eol();
    this.sep = '';
    this.out += `${quote(key)}:${this.pretty ? ' ' : ''}`;
  }

  /** jsonw_string / jsonw_uint / jsonw_bool: a value (in an array, or after `name`). */
  value(v: string | number | boolean): void {
    this.eor();
    this.out += typeof v === 'string' ? quote(v) : String(v);
  }

  /** A member: `name` then `value` (jsonw_*_field). */
  field(key: string, v: string | number | boolean): void {
    this.name(key);
    this.value(v);
  }

  /** The document as written, with jsonw_destroy's final newline. */
  text(): string {
    return `${this.out}\n`;
  }

  private eor(): void {
    this.out += this.sep;
    this.sep = ',';
  }

  private eol(): void {
    if (this.pretty) this.out += `\n${'    '.repeat(this.depth)}`;
  }

  private begin(c: string): void {
    this.eor();
    this.out += c;
    this.depth++;
    this.sep = '';
  }

  private end(c: string): void {
    this.depth--;
    if (this.sep !== '') this.eol();
    this.out += c;
    this.sep = ',';
  }
}

/** jsonw_puts: a string in quotes with C's escapes (no Unicode escapes). */
function quote(s: string): string {
  const esc: Readonly<Record<string, string>> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\f': '\\f', '\b': '\\b', '\\': '\\\\', '"': '\\"' };
  return `"${[...s].map((c) => esc[c] ?? c).join('')}"`;
}
