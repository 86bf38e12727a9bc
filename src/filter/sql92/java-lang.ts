/**
 * The few java.lang conversions the SQL92 evaluator performs on property strings, with Java's exact rules:
 * Integer.valueOf and Long.valueOf (an optional sign, then decimal digits as Character.digit reads them, Unicode
 * digits included, no blanks, overflow refused), Double.valueOf (trimmed of characters <= U+0020, decimal or
 * hexadecimal notation, NaN, Infinity, an optional f/F/d/D suffix) and Boolean.valueOf. A refusal is `undefined`
 * (Java's NumberFormatException).
 */

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** Character.digit(ch, 10) for one UTF-16 unit: 0-9 for the decimal digits of every script, else -1. */
function decimalDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code < 128 || code > 0xffff) return -1;
  return unicodeDigitValue(code);
}

/** The zero of every run of ten decimal digits in the BMP (Unicode category Nd), found on first need. */
let digitZeros: number[] | undefined;

function unicodeDigitValue(code: number): number {
  if (digitZeros === undefined) {
    digitZeros = [];
    const nd = /\p{Nd}/u;
    for (let c = 128; c <= 0xffff; c++) {
      if (c >= 0xd800 && c <= 0xdfff) continue;
      if (!nd.test(String.fromCharCode(c))) continue;
      digitZeros.push(c);
      c += 9; // Nd characters come in runs of ten, 0 to 9 in order.
    }
  }
  for (const zero of digitZeros) if (code >= zero && code <= zero + 9) return code - zero;
  return -1;
}

/** Digits after an optional sign, as Long.parseLong reads them; undefined when the text is not such a number. */
function parseDecimal(text: string): bigint | undefined {
  const n = text.length;
  if (n === 0) return undefined;
  let i = 0;
  let negative = false;
  const first = text.charCodeAt(0);
  if (first === 45 /* - */ || first === 43 /* + */) {
    if (n === 1) return undefined;
    negative = first === 45;
    i = 1;
  }
  let value = 0n;
  let small = 0;
  let digits = 0;
  for (; i < n; i++) {
    const d = decimalDigit(text.charCodeAt(i));
    if (d < 0) return undefined;
    // Accumulate in a plain number while exact, then move to bigint.
    if (digits < 15) small = small * 10 + d;
    else {
      if (digits === 15) value = BigInt(small);
      value = value * 10n + BigInt(d);
      if (value > LONG_MAX + 1n) return undefined;
    }
    digits++;
  }
  const magnitude = digits <= 15 ? BigInt(small) : value;
  return negative ? -magnitude : magnitude;
}

/** Integer.valueOf(String). */
export function javaParseInt(text: string): number | undefined {
  const value = parseDecimal(text);
  if (value === undefined || value < BigInt(INT_MIN) || value > BigInt(INT_MAX)) return undefined;
  return Number(value);
}

/** Long.valueOf(String). */
export function javaParseLong(text: string): bigint | undefined {
  const value = parseDecimal(text);
  if (value === undefined || value < LONG_MIN || value > LONG_MAX) return undefined;
  return value;
}

const DECIMAL_FLOAT = /^[+-]?(?:NaN|Infinity|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[fFdD]?)$/;
const HEX_FLOAT = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)[fFdD]?$/;

/** Double.valueOf(String). */
export function javaParseDouble(raw: string): number | undefined {
  let start = 0;
  let end = raw.length;
  // String.trim: every character <= U+0020 at either end.
  while (start < end && raw.charCodeAt(start) <= 32) start++;
  while (end > start && raw.charCodeAt(end - 1) <= 32) end--;
  const text = start === 0 && end === raw.length ? raw : raw.slice(start, end);
  if (DECIMAL_FLOAT.test(text)) {
    const last = text.charCodeAt(text.length - 1);
    // f/F/d/D suffix (never the last letter of NaN or Infinity).
    const body = last === 102 || last === 70 || last === 100 || last === 68 ? text.slice(0, -1) : text;
    if (body.endsWith('NaN')) return NaN;
    return Number(body);
  }
  const hex = HEX_FLOAT.exec(text);
  if (hex === null) return undefined;
  const [, sign, whole = '', fraction = '', exponent = '0'] = hex;
  if (whole.length + fraction.length === 0) return undefined;
  const value = hexToDouble(whole + fraction, Number(exponent) - 4 * fraction.length);
  return sign === '-' ? -value : value;
}

/** mantissa (hex digits) * 2^exponent, rounded to the nearest double (ties to even), as Java does. */
function hexToDouble(hexDigits: string, exponent: number): number {
  const mantissa = BigInt(`0x${hexDigits}`);
  if (mantissa === 0n) return 0;
  if (!Number.isFinite(exponent) || exponent > 5000) return Infinity;
  if (exponent < -5000 - hexDigits.length * 4) return 0;
  const bits = mantissa.toString(2).length;
  // The result's binary exponent: below -1022 the double is subnormal and its last bit is 2^-1074.
  if (exponent + bits - 1 >= -1022) return scale(Number(mantissa), exponent);
  const shift = BigInt(-1074 - exponent);
  if (shift <= 0n) return scale(Number(mantissa), exponent);
  const unit = 1n << shift;
  let q = mantissa >> shift;
  const rest = mantissa - (q << shift);
  const half = unit >> 1n;
  if (rest > half || (rest === half && (q & 1n) === 1n)) q++;
  return Number(q) * 2 ** -1074;
}

/** x * 2^e without losing exactness to an intermediate overflow or underflow of 2^e. */
function scale(x: number, e: number): number {
  let value = x;
  let remaining = e;
  while (remaining > 1000) {
    value *= 2 ** 1000;
    remaining -= 1000;
  }
  while (remaining < -1000) {
    value *= 2 ** -1000;
    remaining += 1000;
  }
  return value * 2 ** remaining;
}

/** Boolean.valueOf(String): "true" in any case. */
export function javaParseBoolean(text: string): boolean {
  return text.length === 4 && text.toLowerCase() === 'true';
}

/** Double.compare: -0.0 below 0.0, NaN equal to itself and above everything. */
export function javaDoubleCompare(a: number, b: number): number {
  if (a < b) return -1;
  if (a > b) return 1;
  const aNaN = Number.isNaN(a);
  const bNaN = Number.isNaN(b);
  if (aNaN || bNaN) return aNaN === bNaN ? 0 : aNaN ? 1 : -1;
  if (a === 0 && b === 0) {
    const aNeg = Object.is(a, -0);
    const bNeg = Object.is(b, -0);
    return aNeg === bNeg ? 0 : aNeg ? -1 : 1;
  }
  return 0;
}

/** Long.compare / Integer.compare. */
export function javaCompare<T extends number | bigint | string>(a: T, b: T): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
