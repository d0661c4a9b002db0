/**
 * A JSON tree printed exactly as cJSON 1.7.15's `cJSON_Print` formats it (what `iperf3 -J`
 * writes): one tab of indentation per object level, `"key":<TAB>value`, arrays inline with
 * `", "` between elements (nested objects still break lines), numbers through `cjsonNumber`;
 * or as `cJSON_PrintUnformatted` does, without whitespace (iperf3's control messages).
 * Objects keep insertion order and may repeat a key, as cJSON's do (iperf 3.12 adds
 * `sock_bufsize`/`sndbuf_actual`/`rcvbuf_actual` once per stream to the same object).
 */
import { cjsonNumber } from './cformat.js';

/** A JSON value of the tree. */
export type JsonValue = number | string | boolean | null | JsonObject | readonly JsonValue[];

/** A JSON object with ordered, possibly repeated keys (a cJSON object). */
export class JsonObject {
  /** The members in insertion order. */
  readonly entries: [string, JsonValue][] = [];

  /** Append a member (cJSON_AddItemToObject); returns this. */
  add(key: string, value: JsonValue): this {
    this.entries.push([key, value]);
    return this;
  }

  /** The value of the last member named `key`, or undefined. */
  get(key: string): JsonValue | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) {
      const e = this.entries[i];
      if (e !== undefined && e[0] === key) return e[1];
    }
    return undefined;
  }
}

/** An object from `[key, value]` pairs, in order. */
export function jsonObject(pairs: readonly (readonly [string, JsonValue])[]): JsonObject {
  const o = new JsonObject();
  for (const [k, v] of pairs) o.add(k, v);
  return o;
}

function printString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c < 32) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

function printValue(v: JsonValue, depth: number, formatted: boolean): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') return cjsonNumber(v);
  if (typeof v === 'string') return printString(v);
  if (v instanceof JsonObject) {
    if (!formatted) return `{${v.entries.map(([k, val]) => `${printString(k)}:${printValue(val, 0, false)}`).join(',')}}`;
    const inner = depth + 1;
    const tabs = '\t'.repeat(inner);
    let out = '{\n';
    v.entries.forEach(([k, val], i) => {
      out += `${tabs}${printString(k)}:\t${printValue(val, inner, true)}${i + 1 < v.entries.length ? ',' : ''}\n`;
    });
    return `${out}${'\t'.repeat(depth)}}`;
  }
  return `[${v.map((e) => printValue(e, depth + 1, formatted)).join(formatted ? ', ' : ',')}]`;
}

/** `cJSON_Print(value)`: the formatted text (no trailing newline). */
export function cjsonPrint(value: JsonValue): string {
  return printValue(value, 0, true);
}

/** `cJSON_PrintUnformatted(value)`: the text without whitespace, as iperf3 sends JSON on its control connection. */
export function cjsonPrintUnformatted(value: JsonValue): string {
  return printValue(value, 0, false);
}
