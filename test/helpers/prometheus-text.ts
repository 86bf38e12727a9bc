/**
 * A strict parser of the Prometheus text format (0.0.4) for tests: every line must be a HELP, a TYPE or a sample
 * of the family last declared, names and labels must be well formed, label values properly escaped, and each
 * family declared once; a histogram's series are its `_bucket` (with `le`, cumulative, ending at +Inf equal to
 * `_count`), `_count` and `_sum` samples, kept under the family with their suffix in `series`. Throws naming the
 * line otherwise.
 */
export interface ParsedSample {
  /** The sample's own name: the family's, or for a histogram the family's with _bucket, _count or _sum. */
  series: string;
  labels: Record<string, string>;
  value: number;
  timestamp: number | undefined;
}

export interface ParsedFamily {
  type: string;
  help: string;
  samples: ParsedSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  const families = new Map<string, ParsedFamily>();
  let current: string | undefined;
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('the exposition must end with a newline');
  lines.pop();
  lines.forEach((line, i) => {
    const fail = (why: string): never => {
      throw new Error(`line ${i + 1}: ${why}: ${line}`);
    };
    if (line.startsWith('# HELP ')) {
      const [name, ...help] = line.slice(7).split(' ');
      if (name === undefined || !NAME.test(name)) fail('bad metric name');
      if (families.has(name!)) fail('family declared twice');
      families.set(name!, { type: '', help: help.join(' '), samples: [] });
      current = name;
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type, extra] = line.slice(7).split(' ');
      if (name !== current || extra !== undefined) fail('TYPE must follow its HELP');
      if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) fail('unknown type');
      families.get(name!)!.type = type!;
      return;
    }
    if (line.startsWith('#')) fail('unexpected comment');
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)( (-?\d+))?$/.exec(line);
    if (match === null) return fail('not a sample');
    const [, name, , labelText, valueText, , timestampText] = match;
    const family = current === undefined ? undefined : families.get(current);
    const histogramSeries = family?.type === 'histogram' && ['_bucket', '_count', '_sum'].some((suffix) => name === `${current}${suffix}`);
    if (name !== current && !histogramSeries) fail(`sample outside its family (${current ?? 'none'})`);
    if (family?.type === 'histogram' && !histogramSeries) fail('a histogram has only _bucket, _count and _sum samples');
    const labels = parseLabels(labelText ?? '', fail);
    if (name === `${current}_bucket` && labels['le'] === undefined) fail('a bucket without le');
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (!/^(NaN|[+-]Inf|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(valueText ?? '')) fail('bad value');
    families.get(current!)!.samples.push({ series: name!, labels, value, timestamp: timestampText === undefined ? undefined : Number(timestampText) });
  });
  for (const [name, family] of families) {
    if (family.type === '') throw new Error(`${name} has no TYPE`);
    if (family.type === 'histogram') checkHistogram(name, family);
  }
  return families;
}

/** Per series (labels but `le`): buckets never decrease and the +Inf bucket equals _count. */
function checkHistogram(name: string, family: ParsedFamily): void {
  const key = (labels: Record<string, string>): string => JSON.stringify(Object.entries(labels).filter(([k]) => k !== 'le'));
  const last = new Map<string, number>();
  for (const sample of family.samples) {
    if (sample.series !== `${name}_bucket`) continue;
    const k = key(sample.labels);
    if (sample.value < (last.get(k) ?? 0)) throw new Error(`${name}: buckets decrease at le=${sample.labels['le']}`);
    last.set(k, sample.value);
  }
  for (const sample of family.samples) {
    if (sample.series !== `${name}_count`) continue;
    if (last.get(key(sample.labels)) !== sample.value) throw new Error(`${name}: the +Inf bucket differs from _count`);
  }
}

function parseLabels(text: string, fail: (why: string) => never): Record<string, string> {
  const labels: Record<string, string> = {};
  let rest = text;
  while (rest !== '') {
    const match = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/.exec(rest);
    if (match === null) return fail('bad label');
    const [whole, name, raw] = match;
    if (!LABEL_NAME.test(name!) || Object.hasOwn(labels, name!)) fail(`bad or repeated label ${name}`);
    labels[name!] = raw!.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));
    rest = rest.slice(whole.length);
  }
  return labels;
}
