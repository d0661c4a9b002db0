/**
 * `ntb-bench profile`: the platform profiles as a user starts from them — the built-in ones
 * listed, one printed as the JSON `--profile FILE` reads (to copy and edit for another board),
 * or as a table of its parameters with unit, provenance and note.
 */
import { builtinProfiles, type PlatformProfile } from '@ntbsim/kernel';

/** One parameter of a profile: dotted path, value, unit, provenance (`source`) and note. */
export interface ProfileRow {
  /** Dotted path, e.g. `memory.readUncachedMBps`. */
  readonly path: string;
  /** The value as printed. */
  readonly value: string;
  /** Its unit. */
  readonly unit: string;
  /** datasheet, code, measurement, estimate or calibration. */
  readonly source: string;
  /** Where the figure comes from. */
  readonly note: string;
}

const isParam = (v: unknown): v is { value: unknown; unit: string; source: string; note?: string } =>
  typeof v === 'object' && v !== null && 'value' in v && 'unit' in v && 'source' in v;

/** The parameters of `profile`, depth first in the profile's own order. */
export function profileRows(profile: PlatformProfile): ProfileRow[] {
  const rows: ProfileRow[] = [];
  const walk = (node: unknown, path: string): void => {
    if (isParam(node)) {
      const v = node.value;
      rows.push({ path, value: typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' ? String(v) : JSON.stringify(v), unit: node.unit, source: node.source, note: node.note ?? '' });
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    for (const [k, v] of Object.entries(node)) walk(v, path === '' ? k : `${path}.${k}`);
  };
  walk(profile, '');
  return rows;
}

/** The profile as a table: its name and description, then one row per parameter. */
export function formatProfileTable(profile: PlatformProfile): string {
  const rows = profileRows(profile);
  const head: ProfileRow = { path: 'parameter', value: 'value', unit: 'unit', source: 'source', note: 'note' };
  const all = [head, ...rows];
  const w = (k: keyof ProfileRow): number => Math.max(...all.map((r) => r[k].length));
  const line = (r: ProfileRow): string => `${r.path.padEnd(w('path'))}  ${r.value.padStart(w('value'))}  ${r.unit.padEnd(w('unit'))}  ${r.source.padEnd(w('source'))}  ${r.note}`.trimEnd();
  return `${profile.name}: ${profile.description}\n\n${all.map(line).join('\n')}\n`;
}

/** The built-in profiles, one per line: name and description. */
export function profileListing(): string {
  const entries = Object.entries(builtinProfiles);
  const w = Math.max(...entries.map(([n]) => n.length));
  return `${entries.map(([name, p]) => `${name.padEnd(w)}  ${p.description}`).join('\n')}\n`;
}
