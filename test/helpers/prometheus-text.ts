/**
 * A strict parser of the Prometheus text format (0.0.4) for tests: every line must be a HELP, a TYPE or a sample
 * of the family last declared, names and labels must be well formed, label values properly escaped, and each
 * family declared once. Throws naming the line otherwise.
 */
export interface ParsedSample {
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
    if (name !== current) fail(`sample outside its family (${current ?? 'none'})`);
    const labels = parseLabels(labelText ?? '', fail);
    const value = valueText === '+Inf' ? Infinity : valueText === '-Inf' ? -Infinity : valueText === 'NaN' ? NaN : Number(valueText);
    if (!/^(NaN|[+-]Inf|-?\d+(\.\d+)?([eE][+-]?\d+)?)$/.test(valueText ?? '')) fail('bad value');
    families.get(name!)!.samples.push({ labels, value, timestamp: timestampText === undefined ? undefined : Number(timestampText) });
  });
  for (const [name, family] of families) if (family.type === '') throw new Error(`${name} has no TYPE`);
  return families;
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
