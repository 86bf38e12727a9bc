import { RemotingCommandError } from '../common/errors.js';
import { setOwnField } from './custom-header.js';

/**
 * A JSON reader that also accepts what fastjson writes and reads beyond the standard: unquoted keys
 * (`{0:"a"}` for Map<Long,String>), single-quoted strings, and object-valued keys (`{{"topic":"T"}:1}` for
 * Map<MessageQueue,Long>), which become the key's JSON text. Nesting is bounded so hostile input cannot exhaust
 * the stack. Numbers beyond 2^53 lose precision, as they do in JSON.parse.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const MAX_DEPTH = 256;

export function parseLenientJson(text: string): JsonValue {
  // Standard JSON is by far the common case and JSON.parse is much faster than any hand-written reader.
  try {
    return JSON.parse(text) as JsonValue;
  } catch {
    const reader = new LenientReader(text);
    const value = reader.readValue(0);
    reader.skipWhitespace();
    if (!reader.atEnd()) throw reader.error('unexpected trailing characters');
    return value;
  }
}

class LenientReader {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  error(what: string): RemotingCommandError {
    return new RemotingCommandError(`malformed JSON at offset ${this.pos}: ${what}`);
  }

  skipWhitespace(): void {
    while (this.pos < this.text.length) {
      const c = this.text.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.pos++;
    }
  }

  readValue(depth: number): JsonValue {
    if (depth > MAX_DEPTH) throw this.error(`nesting deeper than ${MAX_DEPTH}`);
    this.skipWhitespace();
    const c = this.text[this.pos];
    switch (c) {
      case '{':
        return this.readObject(depth);
      case '[':
        return this.readArray(depth);
      case '"':
      case "'":
        return this.readString(c);
      case undefined:
        throw this.error('unexpected end of input');
      default:
        return this.readLiteral();
    }
  }

  private readObject(depth: number): { [key: string]: JsonValue } {
    this.pos++; // {
    const out: { [key: string]: JsonValue } = {};
    this.skipWhitespace();
    if (this.text[this.pos] === '}') {
      this.pos++;
      return out;
    }
    for (;;) {
      const key = this.readKey(depth);
      this.skipWhitespace();
      if (this.text[this.pos] !== ':') throw this.error("expected ':'");
      this.pos++;
      const value = this.readValue(depth + 1);
      setOwnField(out, key, value);
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === '}') return out;
      if (next !== ',') throw this.error("expected ',' or '}'");
    }
  }

  private readKey(depth: number): string {
    this.skipWhitespace();
    const c = this.text[this.pos];
    if (c === '"' || c === "'") return this.readString(c);
    if (c === '{' || c === '[') return JSON.stringify(this.readValue(depth + 1));
    const start = this.pos;
    while (this.pos < this.text.length && /[A-Za-z0-9_$.+-]/.test(this.text[this.pos] as string)) this.pos++;
    if (this.pos === start) throw this.error('expected a key');
    return this.text.slice(start, this.pos);
  }

  private readArray(depth: number): JsonValue[] {
    this.pos++; // [
    const out: JsonValue[] = [];
    this.skipWhitespace();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.readValue(depth + 1));
      this.skipWhitespace();
      const next = this.text[this.pos++];
      if (next === ']') return out;
      if (next !== ',') throw this.error("expected ',' or ']'");
    }
  }

  private readString(quote: string): string {
    this.pos++; // opening quote
    let out = '';
    let chunkStart = this.pos;
    while (this.pos < this.text.length) {
      const c = this.text[this.pos];
      if (c === quote) {
        out += this.text.slice(chunkStart, this.pos);
        this.pos++;
        return out;
      }
      if (c === '\\') {
        out += this.text.slice(chunkStart, this.pos);
        out += this.readEscape();
        chunkStart = this.pos;
        continue;
      }
      this.pos++;
    }
    throw this.error('unterminated string');
  }

  private readEscape(): string {
    const c = this.text[this.pos + 1];
    this.pos += 2;
    switch (c) {
      case '"':
      case "'":
      case '\\':
      case '/':
        return c;
      case 'b':
        return '\b';
      case 'f':
        return '\f';
      case 'n':
        return '\n';
      case 'r':
        return '\r';
      case 't':
        return '\t';
      case 'u': {
        const hex = this.text.slice(this.pos, this.pos + 4);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw this.error('bad \\u escape');
        this.pos += 4;
        return String.fromCharCode(parseInt(hex, 16));
      }
      default:
        throw this.error('bad escape');
    }
  }

  private readLiteral(): JsonValue {
    const start = this.pos;
    while (this.pos < this.text.length && /[A-Za-z0-9_.+-]/.test(this.text[this.pos] as string)) this.pos++;
    const word = this.text.slice(start, this.pos);
    if (word === 'true') return true;
    if (word === 'false') return false;
    if (word === 'null') return null;
    if (/^-?(\d+)(\.\d+)?([eE][+-]?\d+)?$/.test(word)) return Number(word);
    if (word === '') throw this.error(`unexpected character '${this.text[this.pos] ?? ''}'`);
    throw this.error(`unexpected literal '${word.slice(0, 32)}'`);
  }
}
