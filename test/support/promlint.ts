/**
 * The rules `promtool check metrics` applies to a scrape (client_golang's
 * promlint), so the tests hold /metrics to them without the Prometheus
 * binaries: every family has HELP; a counter ends in `_total` and nothing else
 * does; base units (seconds, bytes), no unit abbreviations; no metric type in
 * the name; no colons; snake_case names and labels; `le` only on histograms,
 * `quantile` only on summaries; no family declared twice. Checked once by hand
 * against promtool 2.42 (Debian 12) on the same scrape.
 */
export interface LintProblem {
  metric: string;
  text: string;
}

const BASE_UNITS = ['amperes', 'bytes', 'celsius', 'grams', 'joules', 'kelvin', 'meters', 'metres', 'seconds', 'volts'];
const UNIT_PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kibi', 'mega'];
const MORE_PREFIXES = ['mibi', 'giga', 'gibi', 'tera', 'tebi', 'peta', 'pebi'];
/** `milliseconds` → `seconds`, `kilobytes` → `bytes`, and minutes, hours, days and weeks → `seconds`. */
const NON_BASE_UNITS: Record<string, string> = Object.fromEntries([
  ...BASE_UNITS.flatMap((base) => [...UNIT_PREFIXES, ...MORE_PREFIXES].map((prefix) => [prefix + base, base])),
  ...['minutes', 'hours', 'days', 'weeks'].map((unit) => [unit, 'seconds']),
]);
const UNIT_ABBREVIATIONS = ['s', 'ms', 'us', 'ns', 'sec', 'b', 'kb', 'mb', 'gb', 'tb', 'pb', 'm', 'h', 'd'];
const TYPES_IN_NAME = ['counter', 'gauge', 'histogram', 'summary', 'untyped'];
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

interface Family {
  name: string;
  type: string;
  help?: string;
  labels: Set<string>;
}

/** Problems promtool would report for this exposition text (empty when it would pass). */
export function promlint(exposition: string): LintProblem[] {
  const families = new Map<string, Family>();
  const problems: LintProblem[] = [];
  const family = (name: string) => {
    let found = families.get(name);
    if (!found) {
      found = { name, type: 'untyped', labels: new Set() };
      families.set(name, found);
    }
    return found;
  };
  const declared = new Set<string>();
  for (const line of exposition.split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) ?(.*)$/.exec(line);
    if (meta) {
      const [, kind, name, rest] = meta;
      if (kind === 'TYPE') {
        if (declared.has(name)) problems.push({ metric: name, text: 'metric declared twice' });
        declared.add(name);
        family(name).type = rest;
      } else family(name).help = rest;
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+/.exec(line);
    if (!sample) {
      problems.push({ metric: line, text: 'unparsable sample line' });
      continue;
    }
    const [, name, labels = ''] = sample;
    const owner = [...families.values()].find(
      (f) => f.name === name || (SUFFIXES[f.type] ?? []).some((suffix) => f.name + suffix === name),
    );
    const target = owner ?? family(name);
    for (const match of labels.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) target.labels.add(match[1]);
  }

  for (const f of families.values()) {
    const report = (text: string) => problems.push({ metric: f.name, text });
    if (!f.help) report('no help text');
    if (f.type === 'counter' && !f.name.endsWith('_total')) report('counter metrics should have "_total" suffix');
    if (f.type !== 'counter' && f.name.endsWith('_total'))
      report('non-counter metrics should not have "_total" suffix');
    const parts = f.name.split('_');
    for (const part of parts) {
      if (NON_BASE_UNITS[part]) report(`use base unit "${NON_BASE_UNITS[part]}" instead of "${part}"`);
      if (UNIT_ABBREVIATIONS.includes(part)) report(`metric names should not contain abbreviated units ("${part}")`);
    }
    const typeInName = TYPES_IN_NAME.find((type) => parts.includes(type));
    if (typeInName) report(`metric name should not include type '${typeInName}'`);
    if (f.name.includes(':')) report('metric names should not contain ":"');
    if (/[a-z][A-Z]/.test(f.name)) report("metric names should be written in 'snake_case' not 'camelCase'");
    for (const label of f.labels) {
      if (/[a-z][A-Z]/.test(label)) report(`label names should be written in 'snake_case' not 'camelCase' (${label})`);
    }
    if (f.type !== 'histogram' && f.labels.has('le')) report('non-histogram metrics should not have "le" label');
    if (f.type !== 'summary' && f.labels.has('quantile'))
      report('non-summary metrics should not have "quantile" label');
  }
  return problems;
}
