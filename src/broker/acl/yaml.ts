/**
 * The YAML subset that plain_acl.yml files are written in, read and written without a YAML library: block maps and
 * lists (a list may sit at its key's indentation, as SnakeYAML writes it), flow lists `[a, b]` and flow maps
 * `{counter: 1}` (also wrapped over several lines), plain, 'single' and "double" quoted scalars, comments, a leading
 * `---`. Anything else (anchors, aliases, tags, block scalars `|`/`>`, multi-line plain scalars, tabs for indentation,
 * duplicate keys) is refused with the line it is on, never guessed at.
 *
 * Plain scalars resolve as SnakeYAML's YAML 1.1 resolver does for what these files hold: null/~/empty, booleans
 * (true/false/yes/no/on/off in its three spellings), decimal integers; everything else is a string (a float-looking
 * scalar too: no ACL field is a float). The writer quotes any string that would read back as something else.
 */

export type YamlScalar = string | number | bigint | boolean | null;
export type YamlValue = YamlScalar | YamlValue[] | YamlMap;
/** A mapping, in file order (a Map, so that any key, `__proto__` included, is just data). */
export type YamlMap = Map<string, YamlValue>;

export class YamlError extends Error {
  constructor(message: string, line?: number) {
    super(line === undefined ? message : `line ${line}: ${message}`);
    this.name = 'YamlError';
  }
}

interface Line {
  /** 1-based, for errors. */
  readonly no: number;
  readonly indent: number;
  /** Without indentation and comment, right-trimmed. */
  readonly text: string;
}

/** Parses a document of the subset; an empty document (only comments) is null. */
export function parseYaml(source: string): YamlValue {
  const lines = splitLines(source);
  if (lines.length === 0) return null;
  const parser = new BlockParser(lines);
  const first = lines[0] as Line;
  const value = parser.node(first.indent);
  const rest = parser.peek();
  if (rest !== undefined) throw new YamlError(`unexpected content '${clip(rest.text)}' (bad indentation?)`, rest.no);
  return value;
}

function splitLines(source: string): Line[] {
  const out: Line[] = [];
  const raw = source.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  let started = false;
  for (let i = 0; i < raw.length; i++) {
    const no = i + 1;
    const line = raw[i] as string;
    const indentMatch = /^[ \t]*/.exec(line) as RegExpExecArray;
    const leading = indentMatch[0];
    const text = stripComment(line.slice(leading.length), no).trimEnd();
    if (text === '') continue;
    if (leading.includes('\t')) throw new YamlError('tabs cannot indent YAML', no);
    if (text === '---' && out.length === 0 && !started && leading === '') {
      started = true;
      continue;
    }
    if (text === '...' && leading === '') break;
    if (text.startsWith('---') || text.startsWith('%')) throw new YamlError('only one document, without directives, is supported', no);
    out.push({ no, indent: leading.length, text });
  }
  return out;
}

/** Drops a `#` comment: one at the start or after a space, outside quotes. */
function stripComment(text: string, no: number): string {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote !== undefined) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) {
        if (quote === "'" && text[i + 1] === "'") i++;
        else quote = undefined;
      }
      continue;
    }
    if (c === '#' && (i === 0 || text[i - 1] === ' ' || text[i - 1] === '\t')) return text.slice(0, i);
    if ((c === "'" || c === '"') && startsToken(text, i)) quote = c;
  }
  if (quote !== undefined) throw new YamlError(`unterminated ${quote === '"' ? 'double' : 'single'}-quoted scalar (quoted scalars must end on their line)`, no);
  return text;
}

/** A quote opens a scalar only where a scalar can start: line start, after `- `, `: `, `[`, `{` or `,`. */
function startsToken(text: string, i: number): boolean {
  let j = i - 1;
  while (j >= 0 && text[j] === ' ') j--;
  if (j < 0) return true;
  const before = text[j] as string;
  if (before === '[' || before === '{' || before === ',') return true;
  return (before === ':' || before === '-') && j < i - 1;
}

class BlockParser {
  private index = 0;
  /** A line replaced in place: the content after `- ` of a list item, with its own column. */
  private virtual: Line | undefined;

  constructor(private readonly lines: readonly Line[]) {}

  peek(): Line | undefined {
    return this.virtual ?? this.lines[this.index];
  }

  private advance(): void {
    if (this.virtual !== undefined) this.virtual = undefined;
    else this.index++;
  }

  /** The node that starts at the current line, whose indentation is `indent`. */
  node(indent: number): YamlValue {
    const line = this.peek() as Line;
    if (isSequenceItem(line.text)) return this.sequence(indent);
    if (mappingKey(line) !== undefined) return this.mapping(indent);
    this.advance();
    return this.inlineValue(line.text, line, indent);
  }

  private sequence(indent: number): YamlValue[] {
    const items: YamlValue[] = [];
    for (let line = this.peek(); line !== undefined && line.indent === indent && isSequenceItem(line.text); line = this.peek()) {
      const rest = line.text.slice(1);
      const content = rest.trimStart();
      if (content === '') {
        this.advance();
        const next = this.peek();
        items.push(next !== undefined && next.indent > indent ? this.node(next.indent) : null);
        continue;
      }
      // "- key: v" or "- - x": the content is a node of its own at the column after the dash.
      const column = indent + 1 + (rest.length - content.length);
      const inner: Line = { no: line.no, indent: column, text: content };
      if (isSequenceItem(content) || mappingKey(inner) !== undefined) {
        this.advance();
        this.virtual = inner;
        items.push(this.node(column));
      } else {
        this.advance();
        items.push(this.inlineValue(content, line, indent));
      }
    }
    this.expectDedent(indent);
    return items;
  }

  private mapping(indent: number): YamlMap {
    const map: YamlMap = new Map();
    for (let line = this.peek(); line !== undefined && line.indent === indent; line = this.peek()) {
      const entry = mappingKey(line);
      if (entry === undefined) throw new YamlError(`expected 'key: value', found '${clip(line.text)}'`, line.no);
      if (map.has(entry.key)) throw new YamlError(`duplicate key '${entry.key}'`, line.no);
      this.advance();
      if (entry.rest !== '') {
        map.set(entry.key, this.inlineValue(entry.rest, line, indent));
        continue;
      }
      const next = this.peek();
      if (next !== undefined && next.indent > indent) map.set(entry.key, this.node(next.indent));
      // SnakeYAML writes a list under its key at the key's own indentation.
      else if (next !== undefined && next.indent === indent && isSequenceItem(next.text)) map.set(entry.key, this.sequence(indent));
      else map.set(entry.key, null);
    }
    this.expectDedent(indent);
    return map;
  }

  /** After a block at `indent`, the next line must belong to an enclosing block. */
  private expectDedent(indent: number): void {
    const next = this.peek();
    if (next !== undefined && next.indent > indent) throw new YamlError(`unexpected indentation before '${clip(next.text)}'`, next.no);
  }

  /** A value on the rest of a line: a scalar, or a flow collection that may continue on more indented lines. */
  private inlineValue(text: string, line: Line, indent: number): YamlValue {
    const first = text[0];
    if (first === '[' || first === '{') {
      let source = text;
      while (!flowClosed(source)) {
        const next = this.peek();
        if (next === undefined || next.indent <= indent) throw new YamlError(`unterminated flow collection '${clip(text)}'`, line.no);
        source += ` ${next.text}`;
        this.advance();
      }
      return new FlowParser(source, line.no).document();
    }
    unsupportedStart(text, line.no);
    const next = this.peek();
    if (next !== undefined && next.indent > indent && !isSequenceItem(next.text)) {
      throw new YamlError('multi-line plain scalars are not supported: quote the value on one line', next.no);
    }
    return scalar(text, line.no);
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ');
}

/** `key: rest` (key plain or quoted), or undefined when the line is no mapping entry. */
function mappingKey(line: Line): { key: string; rest: string } | undefined {
  const text = line.text;
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    if (end < 0) return undefined;
    const after = text.slice(end + 1);
    if (!/^\s*:(\s|$)/.test(after)) return undefined;
    return { key: quoted(text.slice(0, end + 1), line.no), rest: after.replace(/^\s*:/, '').trim() };
  }
  if (/^[[{\-?!&*|>%@`]/.test(text) && !/^-[^\s]/.test(text)) return undefined;
  const match = /^(.*?)\s*:(?:\s+(.*))?$/.exec(text);
  if (match === null) return undefined;
  const key = match[1] as string;
  if (key === '' || /:\s/.test(key)) return undefined;
  return { key, rest: (match[2] ?? '').trim() };
}

/** Index of the closing quote of the quoted scalar starting at `start`, or -1. */
function quotedEnd(text: string, start: number): number {
  const q = text[start];
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (q === '"' && c === '\\') i++;
    else if (c === q) {
      if (q === "'" && text[i + 1] === "'") i++;
      else return i;
    }
  }
  return -1;
}

function flowClosed(text: string): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if ((c === '"' || c === "'") && (i === 0 || /[\s[{,:]/.test(text[i - 1] as string))) {
      const end = quotedEnd(text, i);
      if (end < 0) return false;
      i = end;
    } else if (c === '[' || c === '{') depth++;
    else if (c === ']' || c === '}') depth--;
  }
  return depth <= 0;
}

/** A block scalar (the whole rest of a line). */
function scalar(text: string, no: number): YamlScalar {
  if (text.startsWith('"') || text.startsWith("'")) {
    const end = quotedEnd(text, 0);
    if (end !== text.length - 1) throw new YamlError(`unexpected text after the quoted scalar in '${clip(text)}'`, no);
    return quoted(text, no);
  }
  unsupportedStart(text, no);
  return resolvePlain(text);
}

function unsupportedStart(text: string, no: number): void {
  const c = text[0] as string;
  if ('&*!|>%@`'.includes(c)) {
    const what: Record<string, string> = { '&': 'anchors', '*': 'aliases (quote a value that starts with *)', '!': 'tags', '|': 'block scalars', '>': 'block scalars' };
    throw new YamlError(`${what[c] ?? `a plain scalar starting with '${c}'`} ${c in what ? 'are' : 'is'} not supported: '${clip(text)}'`, no);
  }
}

/** A complete quoted scalar, quotes included. */
function quoted(text: string, no: number): string {
  const body = text.slice(1, -1);
  if (text[0] === "'") return body.replace(/''/g, "'");
  let out = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const e = body[++i];
    const simple: Record<string, string> = { n: '\n', t: '\t', r: '\r', '"': '"', '\\': '\\', '/': '/', '0': '\0', ' ': ' ', b: '\b', f: '\f', e: '\x1b', a: '\x07', v: '\v' };
    if (e !== undefined && e in simple) out += simple[e] as string;
    else if (e === 'x' || e === 'u' || e === 'U') {
      const width = e === 'x' ? 2 : e === 'u' ? 4 : 8;
      const hex = body.slice(i + 1, i + 1 + width);
      if (!new RegExp(`^[0-9a-fA-F]{${width}}$`).test(hex)) throw new YamlError(`bad escape '\\${e}${hex}'`, no);
      out += String.fromCodePoint(parseInt(hex, 16));
      i += width;
    } else throw new YamlError(`unsupported escape '\\${e ?? ''}' in a double-quoted scalar`, no);
  }
  return out;
}

const NULLS = new Set(['', '~', 'null', 'Null', 'NULL']);
const TRUES = new Set(['true', 'True', 'TRUE', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'y', 'Y']);
const FALSES = new Set(['false', 'False', 'FALSE', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'n', 'N']);
const INTEGER = /^[-+]?(0|[1-9][0-9_]*)$/;
/** What the YAML 1.1 resolver would read as a number that is not a decimal integer: written quoted. */
const OTHER_NUMBER = /^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?|0[0-7_]+|0x[0-9a-fA-F_]+|0b[01_]+|[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?|\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/;

function resolvePlain(text: string): YamlScalar {
  if (NULLS.has(text)) return null;
  if (TRUES.has(text)) return true;
  if (FALSES.has(text)) return false;
  if (INTEGER.test(text)) {
    const digits = text.replace(/_/g, '');
    const n = Number(digits);
    return Number.isSafeInteger(n) ? n : BigInt(digits);
  }
  return text;
}

class FlowParser {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly no: number,
  ) {}

  document(): YamlValue {
    const value = this.value();
    this.skipSpace();
    if (this.pos < this.text.length) this.fail(`unexpected '${clip(this.text.slice(this.pos))}' after the flow collection`);
    return value;
  }

  private value(): YamlValue {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === '[') return this.list();
    if (c === '{') return this.map();
    return this.scalar(false);
  }

  private list(): YamlValue[] {
    this.pos++;
    const items: YamlValue[] = [];
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === ']') {
        this.pos++;
        return items;
      }
      items.push(this.value());
      this.separator(']');
    }
  }

  private map(): YamlMap {
    this.pos++;
    const map: YamlMap = new Map();
    for (;;) {
      this.skipSpace();
      if (this.text[this.pos] === '}') {
        this.pos++;
        return map;
      }
      // Keys stay text, as in block maps.
      const name = String(this.scalar(true));
      this.skipSpace();
      if (this.text[this.pos] !== ':') this.fail(`expected ':' after the key '${name}'`);
      this.pos++;
      if (map.has(name)) this.fail(`duplicate key '${name}'`);
      this.skipSpace();
      map.set(name, this.text[this.pos] === ',' || this.text[this.pos] === '}' ? null : this.value());
      this.separator('}');
    }
  }

  private separator(close: string): void {
    this.skipSpace();
    const c = this.text[this.pos];
    if (c === ',') this.pos++;
    else if (c !== close) this.fail(c === undefined ? `missing '${close}'` : `expected ',' or '${close}', found '${c}'`);
  }

  private scalar(isKey: boolean): YamlScalar {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") {
      const end = quotedEnd(this.text, this.pos);
      if (end < 0) this.fail('unterminated quoted scalar');
      const value = quoted(this.text.slice(this.pos, end + 1), this.no);
      this.pos = end + 1;
      return value;
    }
    if (c === undefined) this.fail('unexpected end of the flow collection');
    unsupportedStart(this.text.slice(this.pos), this.no);
    let end = this.pos;
    while (end < this.text.length) {
      const d = this.text[end] as string;
      if (d === ',' || d === ']' || d === '}' || d === '[' || d === '{') break;
      if (d === ':' && (isKey || /[\s,\]}]/.test(this.text[end + 1] ?? ' '))) break;
      end++;
    }
    const text = this.text.slice(this.pos, end).trim();
    if (text === '' && '[{'.includes(this.text[end] ?? '')) this.fail('nested flow collection where a scalar was expected');
    this.pos = end;
    return isKey ? text : resolvePlain(text);
  }

  private skipSpace(): void {
    while (this.pos < this.text.length && /\s/.test(this.text[this.pos] as string)) this.pos++;
  }

  private fail(message: string): never {
    throw new YamlError(message, this.no);
  }
}

/**
 * Writes a value as this subset, SnakeYAML's block style for maps and lists of maps and flow style for lists of
 * scalars (`[a, b]`); parseYaml(formatYaml(v)) equals v.
 */
export function formatYaml(value: YamlValue): string {
  if (value instanceof Map) return value.size === 0 ? '{}\n' : blockMap(value, 0);
  if (Array.isArray(value)) return value.length === 0 ? '[]\n' : blockList(value, 0);
  return `${formatScalar(value, false)}\n`;
}

function blockMap(map: YamlMap, indent: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  for (const [key, value] of map) {
    const k = formatScalar(key, false);
    if (value instanceof Map && value.size > 0) out += `${pad}${k}:\n${blockMap(value, indent + 2)}`;
    else if (Array.isArray(value) && value.length > 0 && !value.every(isScalar)) out += `${pad}${k}:\n${blockList(value, indent)}`;
    else out += `${pad}${k}: ${inline(value)}\n`;
  }
  return out;
}

function blockList(list: YamlValue[], indent: number): string {
  const pad = ' '.repeat(indent);
  let out = '';
  for (const item of list) {
    if (item instanceof Map && item.size > 0) {
      // The first entry goes after the dash; the others line up under it.
      out += `${pad}- ${blockMap(item, indent + 2).slice(indent + 2)}`;
    } else if (Array.isArray(item) && item.length > 0 && !item.every(isScalar)) {
      out += `${pad}-\n${blockList(item, indent + 2)}`;
    } else out += `${pad}- ${inline(item)}\n`;
  }
  return out;
}

function isScalar(value: YamlValue): boolean {
  return !(value instanceof Map) && !Array.isArray(value);
}

/** A scalar, an empty collection, or a list of scalars. */
function inline(value: YamlValue): string {
  if (value instanceof Map) return '{}';
  if (Array.isArray(value)) return `[${value.map((v) => formatScalar(v as YamlScalar, true)).join(', ')}]`;
  return formatScalar(value, false);
}

function formatScalar(value: YamlScalar, inFlow: boolean): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (/[\x00-\x08\x0a-\x1f\x7f\u0085\u2028\u2029\ufeff]/.test(value)) return JSON.stringify(value);
  return needsQuotes(value, inFlow) ? `'${value.replace(/'/g, "''")}'` : value;
}

function needsQuotes(text: string, inFlow: boolean): boolean {
  if (text === '' || text !== text.trim()) return true;
  if (NULLS.has(text) || TRUES.has(text) || FALSES.has(text) || INTEGER.test(text) || OTHER_NUMBER.test(text)) return true;
  if (/^[-?:,[\]{}#&*!|>'"%@`]/.test(text) || text === '---' || text === '...') return true;
  if (/:(\s|$)|\s#|\t/.test(text)) return true;
  return inFlow && /[,[\]{}:]/.test(text);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}...` : text;
}
