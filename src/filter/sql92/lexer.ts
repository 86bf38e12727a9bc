/**
 * The tokens of SelectorParser.jj (RocketMQ 5.3.3), read one at a time as the parser asks for them, as JavaCC's
 * token manager does: a character no token starts with is an error only once the parser asks for the token there.
 * Longest match wins; a keyword wins over an identifier of the same length.
 *
 * - blanks: space, \t, \n, \r, \f (no other);
 * - comments: `-- ...` up to and including a line end (without one it is no comment: `--x` at the very end reads as
 *   `-`, `-`, `x`), and `/* ... *\/`;
 * - keywords, case-insensitive: NOT AND OR BETWEEN IN TRUE FALSE NULL IS CONTAINS STARTSWITH ENDSWITH;
 * - integers: `0`, or a non-zero digit and digits with an optional l/L (no octal, no hex, no leading zero:
 *   `01` reads as `0`, `1`);
 * - decimals: `5.5`, `5.`, `.5`, `5E10`, `5.5e-3` (E in either case);
 * - strings: `'...'`, `''` for a quote, any other character (line ends and non-ASCII included);
 * - identifiers: an ASCII letter, `_` or `$`, then ASCII letters, digits, `_` and `$`;
 * - = <> > >= < <= ( , ) + -
 */

export const enum TokenKind {
  EOF,
  NOT,
  AND,
  OR,
  BETWEEN,
  IN,
  TRUE,
  FALSE,
  NULL,
  IS,
  CONTAINS,
  STARTSWITH,
  ENDSWITH,
  DECIMAL,
  FLOAT,
  STRING,
  ID,
  EQ,
  NE,
  GT,
  GE,
  LT,
  LE,
  LPAREN,
  COMMA,
  RPAREN,
  PLUS,
  MINUS,
}

const KEYWORDS = new Map<string, TokenKind>([
  ['NOT', TokenKind.NOT],
  ['AND', TokenKind.AND],
  ['OR', TokenKind.OR],
  ['BETWEEN', TokenKind.BETWEEN],
  ['IN', TokenKind.IN],
  ['TRUE', TokenKind.TRUE],
  ['FALSE', TokenKind.FALSE],
  ['NULL', TokenKind.NULL],
  ['IS', TokenKind.IS],
  ['CONTAINS', TokenKind.CONTAINS],
  ['STARTSWITH', TokenKind.STARTSWITH],
  ['ENDSWITH', TokenKind.ENDSWITH],
]);

export interface Token {
  readonly kind: TokenKind;
  /** The text as written. */
  readonly image: string;
  /** Index of its first character in the expression. */
  readonly at: number;
}

/** A character no token starts with (JavaCC's TokenMgrError). */
export class LexicalError extends Error {
  constructor(
    message: string,
    readonly at: number,
  ) {
    super(message);
    this.name = 'LexicalError';
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

function isIdStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36;
}

function isIdPart(c: number): boolean {
  return isIdStart(c) || isDigit(c);
}

function isBlank(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 12;
}

/** Line and column (1-based, as JavaCC counts them but without its tab stops) of index `at`. */
export function position(text: string, at: number): string {
  let line = 1;
  let column = 1;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      column = 1;
    } else {
      column++;
    }
  }
  return `line ${line}, column ${column}`;
}

export class Lexer {
  private pos = 0;
  private readonly buffered: Token[] = [];
  /** Where the last search for a line end began and what it found (-1: none to the end), so `--` is linear. */
  private lineEndSearch = { from: Number.MAX_SAFE_INTEGER, at: -1 };

  constructor(private readonly text: string) {}

  /** The `k`-th token ahead (1 = next), read on demand. */
  peek(k = 1): Token {
    while (this.buffered.length < k) this.buffered.push(this.read());
    return this.buffered[k - 1] as Token;
  }

  next(): Token {
    const token = this.peek();
    this.buffered.shift();
    return token;
  }

  private read(): Token {
    const s = this.text;
    const n = s.length;
    let p = this.skip();
    this.pos = p;
    if (p >= n) return { kind: TokenKind.EOF, image: '<EOF>', at: n };
    const c = s.charCodeAt(p);
    const token = (kind: TokenKind, end: number): Token => {
      this.pos = end;
      return { kind, image: s.slice(p, end), at: p };
    };
    if (isIdStart(c)) {
      let end = p + 1;
      while (end < n && isIdPart(s.charCodeAt(end))) end++;
      const image = s.slice(p, end);
      this.pos = end;
      return { kind: KEYWORDS.get(image.toUpperCase()) ?? TokenKind.ID, image, at: p };
    }
    if (isDigit(c) || (c === 46 && isDigit(s.charCodeAt(p + 1)))) return this.number(p);
    if (c === 39) {
      const end = this.stringEnd(p);
      if (end < 0) throw new LexicalError(`unterminated string literal at ${position(s, p)}`, p);
      return token(TokenKind.STRING, end);
    }
    const c2 = s.charCodeAt(p + 1);
    switch (c) {
      case 61:
        return token(TokenKind.EQ, p + 1);
      case 60:
        if (c2 === 62) return token(TokenKind.NE, p + 2);
        if (c2 === 61) return token(TokenKind.LE, p + 2);
        return token(TokenKind.LT, p + 1);
      case 62:
        if (c2 === 61) return token(TokenKind.GE, p + 2);
        return token(TokenKind.GT, p + 1);
      case 40:
        return token(TokenKind.LPAREN, p + 1);
      case 41:
        return token(TokenKind.RPAREN, p + 1);
      case 44:
        return token(TokenKind.COMMA, p + 1);
      case 43:
        return token(TokenKind.PLUS, p + 1);
      case 45:
        return token(TokenKind.MINUS, p + 1);
    }
    p = this.pos;
    const shown = s.codePointAt(p) ?? c;
    throw new LexicalError(`unexpected character ${JSON.stringify(String.fromCodePoint(shown))} at ${position(s, p)}`, p);
  }

  /** Skips blanks and comments; returns where the next token starts. */
  private skip(): number {
    const s = this.text;
    const n = s.length;
    let p = this.pos;
    for (;;) {
      while (p < n && isBlank(s.charCodeAt(p))) p++;
      if (p + 1 >= n) return p;
      const c = s.charCodeAt(p);
      const c2 = s.charCodeAt(p + 1);
      if (c === 45 && c2 === 45) {
        // A line comment needs its line end; without one, the two dashes are tokens.
        const end = this.lineEnd(p + 2);
        if (end < 0) return p;
        p = s.charCodeAt(end) === 13 && s.charCodeAt(end + 1) === 10 ? end + 2 : end + 1;
      } else if (c === 47 && c2 === 42) {
        const close = s.indexOf('*/', p + 2);
        if (close < 0) throw new LexicalError(`unterminated comment at ${position(s, p)}`, p);
        p = close + 2;
      } else {
        return p;
      }
    }
  }

  /** The first \n or \r at or after `from`, or -1; positions only grow, so one search serves many `--`. */
  private lineEnd(from: number): number {
    const { from: searchedFrom, at } = this.lineEndSearch;
    if (searchedFrom <= from && (at < 0 || at >= from)) return at;
    const s = this.text;
    let end = from;
    while (end < s.length && s.charCodeAt(end) !== 10 && s.charCodeAt(end) !== 13) end++;
    this.lineEndSearch = { from, at: end < s.length ? end : -1 };
    return this.lineEndSearch.at;
  }

  /** Index after the longest string literal at `p`, or -1. `'a''` is `'a'` followed by a stray quote. */
  private stringEnd(p: number): number {
    const s = this.text;
    const n = s.length;
    let last = -1;
    let i = p + 1;
    while (i < n) {
      if (s.charCodeAt(i) === 39) {
        last = i + 1;
        if (s.charCodeAt(i + 1) !== 39) break;
        i += 2;
      } else {
        i++;
      }
    }
    return last;
  }

  /** DECIMAL_LITERAL or FLOATING_POINT_LITERAL at `p`, whichever match is longer. */
  private number(p: number): Token {
    const s = this.text;
    const n = s.length;
    let digitsEnd = p;
    while (digitsEnd < n && isDigit(s.charCodeAt(digitsEnd))) digitsEnd++;
    let decimalEnd = -1;
    if (digitsEnd > p) {
      if (s.charCodeAt(p) === 48) decimalEnd = p + 1;
      else {
        decimalEnd = digitsEnd;
        const l = s.charCodeAt(digitsEnd);
        if (l === 108 || l === 76) decimalEnd++;
      }
    }
    let floatEnd = -1;
    if (s.charCodeAt(digitsEnd) === 46) {
      let end = digitsEnd + 1;
      while (end < n && isDigit(s.charCodeAt(end))) end++;
      // "5." needs no fraction digits; ".5" needs them (and `number` is only called then).
      floatEnd = this.exponentEnd(end);
    } else if (digitsEnd > p) {
      const end = this.exponentEnd(digitsEnd);
      if (end > digitsEnd) floatEnd = end;
    }
    const isFloat = floatEnd > decimalEnd;
    const end = isFloat ? floatEnd : decimalEnd;
    this.pos = end;
    return { kind: isFloat ? TokenKind.FLOAT : TokenKind.DECIMAL, image: s.slice(p, end), at: p };
  }

  /** Index after an exponent (E, optional sign, digits) at `at`, or `at` when there is none. */
  private exponentEnd(at: number): number {
    const s = this.text;
    const e = s.charCodeAt(at);
    if (e !== 101 && e !== 69) return at;
    let i = at + 1;
    const sign = s.charCodeAt(i);
    if (sign === 43 || sign === 45) i++;
    const digits = i;
    while (i < s.length && isDigit(s.charCodeAt(i))) i++;
    return i > digits ? i : at;
  }
}

/** A token's kind as the messages name it. */
export function describeToken(token: Token): string {
  return token.kind === TokenKind.EOF ? 'the end of the expression' : `"${token.image}"`;
}
