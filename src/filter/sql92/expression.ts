import { javaCompare, javaDoubleCompare, javaParseBoolean, javaParseDouble, javaParseInt, javaParseLong } from './java-lang.js';

/**
 * The compiled form of a SQL92 selector: a tree of nodes, one class per Java expression class of
 * org.apache.rocketmq.filter.expression (5.3.3), evaluated with Java's rules:
 *
 * - values are Java's: null, Boolean, Integer, Long, Double (only literals and their negation are numbers) and
 *   String (every property, every string literal);
 * - a comparison converts across types as ComparisonExpression.__compare does (a property compared with an
 *   integer literal is read with Integer.valueOf, with a long one Long.valueOf, with a decimal one Double.valueOf;
 *   two strings ordered by >, >=, <, <= are both read with Double.valueOf);
 * - AND, OR and NOT are three-valued (null is "unknown") and AND/OR evaluate left to right, stopping at the
 *   first operand that decides;
 * - what Java throws while evaluating (a NumberFormatException of a conversion, a ClassCastException of a Boolean
 *   compared with a String) ends the evaluation: EVALUATION_ERROR here, which the broker treats as no match,
 *   exactly as ExpressionMessageFilter does with the exception.
 *
 * Evaluation allocates nothing on the common paths (numbers only exist as literals) and never throws.
 */

/** What Java's evaluate() threw: the whole expression's outcome, never a value of a sub-expression. */
export const EVALUATION_ERROR: unique symbol = Symbol('EVALUATION_ERROR');
const ERR: typeof EVALUATION_ERROR = EVALUATION_ERROR;

/** java.lang.Integer: a 32-bit literal (or its negation). */
export class JavaInt {
  constructor(readonly value: number) {}
  toString(): string {
    return String(this.value);
  }
}

/** java.lang.Long: an integer literal beyond the int range (or its negation). */
export class JavaLong {
  constructor(readonly value: bigint) {}
  toString(): string {
    return String(this.value);
  }
}

/** java.lang.Double: a decimal or exponent literal (or its negation). */
export class JavaDouble {
  constructor(readonly value: number) {}
  toString(): string {
    return javaDoubleToString(this.value);
  }
}

export type JavaValue = null | boolean | string | JavaInt | JavaLong | JavaDouble;
type NonNull = Exclude<JavaValue, null>;
type Outcome = JavaValue | typeof EVALUATION_ERROR;

/** Where property values come from: a Map works, as does a lookup in a stored properties string. */
export interface EvaluationContext {
  /** The property's value, undefined when the message has none (SQL NULL). */
  get(name: string): string | undefined;
}

/** An expression node. `isBoolean`, `isConstant` and `isProperty` are Java's instanceof checks at parse time. */
export abstract class Sql92Node {
  /** The height of the tree under this node (1 for a leaf); evaluation recurses this deep. */
  readonly height: number;

  constructor(children: readonly Sql92Node[]) {
    let height = 0;
    for (const child of children) if (child.height > height) height = child.height;
    this.height = height + 1;
  }

  /** BooleanExpression. */
  get isBoolean(): boolean {
    return false;
  }
  /** ConstantExpression (BooleanConstantExpression included). */
  get isConstant(): boolean {
    return false;
  }
  /** PropertyExpression. */
  get isProperty(): boolean {
    return false;
  }

  abstract evaluate(ctx: EvaluationContext): Outcome;
  /** Java's toString, for error messages. */
  abstract toString(): string;
}

/** ConstantExpression and BooleanConstantExpression (TRUE, FALSE, NULL). */
export class ConstantNode extends Sql92Node {
  constructor(readonly value: JavaValue) {
    super([]);
  }
  override get isConstant(): boolean {
    return true;
  }
  override get isBoolean(): boolean {
    return this.value === null || typeof this.value === 'boolean';
  }
  evaluate(): Outcome {
    return this.value;
  }
  toString(): string {
    const v = this.value;
    if (v === null) return 'NULL';
    if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
    if (typeof v === 'string') return `'${v.replaceAll("'", "''")}'`;
    return v.toString();
  }
}

export class PropertyNode extends Sql92Node {
  constructor(readonly name: string) {
    super([]);
  }
  override get isProperty(): boolean {
    return true;
  }
  evaluate(ctx: EvaluationContext): Outcome {
    return ctx.get(this.name) ?? null;
  }
  toString(): string {
    return this.name;
  }
}

/** UnaryExpression.createNegate: numbers change sign; anything else (a property's string) is null. */
export class NegateNode extends Sql92Node {
  constructor(readonly operand: Sql92Node) {
    super([operand]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const v = this.operand.evaluate(ctx);
    if (v === ERR || v === null) return v;
    if (v instanceof JavaInt) return new JavaInt(-v.value | 0);
    if (v instanceof JavaLong) return new JavaLong(BigInt.asIntN(64, -v.value));
    if (v instanceof JavaDouble) return new JavaDouble(-v.value);
    return null;
  }
  toString(): string {
    return `(- ${String(this.operand)})`;
  }
}

abstract class BooleanNode extends Sql92Node {
  override get isBoolean(): boolean {
    return true;
  }
}

/** UnaryExpression.createNOT. */
export class NotNode extends BooleanNode {
  constructor(readonly operand: Sql92Node) {
    super([operand]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const v = this.operand.evaluate(ctx);
    if (v === ERR || v === null) return v;
    // (Boolean) right.evaluate(context): a BooleanExpression's value, so never anything else.
    return typeof v === 'boolean' ? !v : ERR;
  }
  toString(): string {
    return `(NOT ${String(this.operand)})`;
  }
}

/** UnaryExpression.createBooleanCast: a property used as a condition; its (string) value is FALSE, none is null. */
export class BooleanCastNode extends BooleanNode {
  constructor(readonly operand: Sql92Node) {
    super([operand]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const v = this.operand.evaluate(ctx);
    if (v === ERR || v === null) return v;
    return typeof v === 'boolean' ? v : false;
  }
  toString(): string {
    return this.operand.toString();
  }
}

/**
 * LogicExpression.createAND / createOR, a whole chain in one node: `a OR b OR c` is Java's ((a OR b) OR c),
 * whose evaluation is exactly this loop (left to right, stopping at the first TRUE for OR or FALSE for AND, null
 * when an evaluated operand was null and none decided), without recursing once per operand.
 */
export class LogicNode extends BooleanNode {
  constructor(
    readonly or: boolean,
    readonly operands: readonly Sql92Node[],
  ) {
    super(operands);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const decisive = this.or;
    let sawNull = false;
    for (const operand of this.operands) {
      const v = operand.evaluate(ctx);
      if (v === decisive) return decisive;
      if (v === null) sawNull = true;
      else if (typeof v !== 'boolean') return ERR;
    }
    return sawNull ? null : !decisive;
  }
  toString(): string {
    const symbol = this.or ? '||' : '&&';
    let text = String(this.operands[0]);
    for (let i = 1; i < this.operands.length; i++) text = `(${text} ${symbol} ${String(this.operands[i])})`;
    return text;
  }
}

/** ComparisonExpression.doCreateEqual: `=` and IS NULL (against the NULL constant). */
export class EqualNode extends BooleanNode {
  constructor(
    readonly left: Sql92Node,
    readonly right: Sql92Node,
  ) {
    super([left, right]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const lv = this.left.evaluate(ctx);
    if (lv === ERR) return ERR;
    const rv = this.right.evaluate(ctx);
    if (rv === ERR) return ERR;
    // One side null: null when it is the left one, FALSE otherwise; both null: TRUE (lv == rv).
    if (lv === null || rv === null) return lv === rv ? true : lv === null ? null : false;
    const c = compareValues(lv, rv);
    return c === ERR ? ERR : c === 0;
  }
  toString(): string {
    return `(${String(this.left)} == ${String(this.right)})`;
  }
}

export type OrderOperator = '>' | '>=' | '<' | '<=';

/** ComparisonExpression.createGreaterThan and its siblings. */
export class OrderNode extends BooleanNode {
  constructor(
    readonly operator: OrderOperator,
    readonly left: Sql92Node,
    readonly right: Sql92Node,
  ) {
    super([left, right]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const lv = this.left.evaluate(ctx);
    if (lv === ERR || lv === null) return lv;
    const rv = this.right.evaluate(ctx);
    if (rv === ERR || rv === null) return rv;
    let c: number | typeof ERR;
    if (typeof lv === 'string' && typeof rv === 'string') {
      // Strings are never ordered: both are read as doubles, or the comparison throws.
      const a = javaParseDouble(lv);
      const b = javaParseDouble(rv);
      if (a === undefined || b === undefined) return ERR;
      c = javaDoubleCompare(a, b);
    } else {
      c = compareValues(lv, rv);
      if (c === ERR) return ERR;
    }
    switch (this.operator) {
      case '>':
        return c > 0;
      case '>=':
        return c >= 0;
      case '<':
        return c < 0;
      case '<=':
        return c <= 0;
    }
  }
  toString(): string {
    return `(${String(this.left)} ${this.operator} ${String(this.right)})`;
  }
}

/** UnaryExpression.createInExpression: a property's value among string literals (or not). */
export class InNode extends BooleanNode {
  private readonly set: ReadonlySet<string>;

  constructor(
    readonly operand: PropertyNode,
    readonly values: readonly string[],
    readonly not: boolean,
  ) {
    super([operand]);
    this.set = new Set(values);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    const v = this.operand.evaluate(ctx);
    if (v === ERR || v === null) return v;
    if (typeof v !== 'string') return null;
    return this.set.has(v) !== this.not;
  }
  toString(): string {
    return `${String(this.operand)} ${this.not ? 'NOT IN' : 'IN'} ( ${this.values.join(', ')} )`;
  }
}

export type StringOperator = 'CONTAINS' | 'STARTSWITH' | 'ENDSWITH';

/**
 * ComparisonExpression's ContainsExpression, StartsWithExpression, EndsWithExpression and their NOT forms: FALSE
 * (never null) when the operand is no string, and FALSE for an empty search string whatever the NOT.
 */
export class StringTestNode extends BooleanNode {
  constructor(
    readonly operator: StringOperator,
    readonly not: boolean,
    readonly operand: Sql92Node,
    readonly search: string,
  ) {
    super([operand]);
  }
  evaluate(ctx: EvaluationContext): Outcome {
    if (this.search.length === 0) return false;
    const v = this.operand.evaluate(ctx);
    if (v === ERR) return ERR;
    if (typeof v !== 'string') return false;
    let found: boolean;
    switch (this.operator) {
      case 'CONTAINS':
        found = v.includes(this.search);
        break;
      case 'STARTSWITH':
        found = v.startsWith(this.search);
        break;
      case 'ENDSWITH':
        found = v.endsWith(this.search);
        break;
    }
    return found !== this.not;
  }
  toString(): string {
    return `(${this.not ? 'NOT ' : ''}${this.operator} ${String(this.operand)})`;
  }
}

/**
 * ComparisonExpression.__compare(lv, rv, convertStringExpressions = true) as the sign of lv.compareTo(rv) after
 * Java's conversions: the left type decides how the right is converted (or the other way round); a String read
 * as a number that is none throws (EVALUATION_ERROR); a Boolean against a String throws too (Java casts the
 * Boolean to String); any other pair of different types is -1.
 */
export function compareValues(lv: NonNull, rv: NonNull): number | typeof EVALUATION_ERROR {
  if (typeof lv === 'string') {
    if (typeof rv === 'string') return javaCompare(lv, rv);
    if (typeof rv === 'boolean') return compareBooleans(javaParseBoolean(lv), rv);
    if (rv instanceof JavaInt) {
      const x = javaParseInt(lv);
      return x === undefined ? ERR : javaCompare(x, rv.value);
    }
    if (rv instanceof JavaLong) {
      const x = javaParseLong(lv);
      return x === undefined ? ERR : javaCompare(x, rv.value);
    }
    const x = javaParseDouble(lv);
    return x === undefined ? ERR : javaDoubleCompare(x, rv.value);
  }
  if (typeof lv === 'boolean') {
    if (typeof rv === 'boolean') return compareBooleans(lv, rv);
    return typeof rv === 'string' ? ERR : -1;
  }
  if (lv instanceof JavaInt) {
    if (rv instanceof JavaInt) return javaCompare(lv.value, rv.value);
    if (rv instanceof JavaLong) return javaCompare(BigInt(lv.value), rv.value);
    if (rv instanceof JavaDouble) return javaDoubleCompare(lv.value, rv.value);
    if (typeof rv === 'string') {
      const x = javaParseInt(rv);
      return x === undefined ? ERR : javaCompare(lv.value, x);
    }
    return -1;
  }
  if (lv instanceof JavaLong) {
    if (rv instanceof JavaLong) return javaCompare(lv.value, rv.value);
    if (rv instanceof JavaInt) return javaCompare(lv.value, BigInt(rv.value));
    if (rv instanceof JavaDouble) return javaDoubleCompare(Number(lv.value), rv.value);
    if (typeof rv === 'string') {
      const x = javaParseLong(rv);
      return x === undefined ? ERR : javaCompare(lv.value, x);
    }
    return -1;
  }
  if (rv instanceof JavaDouble) return javaDoubleCompare(lv.value, rv.value);
  if (rv instanceof JavaInt) return javaDoubleCompare(lv.value, rv.value);
  if (rv instanceof JavaLong) return javaDoubleCompare(lv.value, Number(rv.value));
  if (typeof rv === 'string') {
    const x = javaParseDouble(rv);
    return x === undefined ? ERR : javaDoubleCompare(lv.value, x);
  }
  return -1;
}

/** Boolean.compareTo. */
function compareBooleans(a: boolean, b: boolean): number {
  return a === b ? 0 : a ? 1 : -1;
}

/** Double.toString, close enough for messages: 1.0, 1.5E10, Infinity. */
function javaDoubleToString(v: number): string {
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
  const abs = Math.abs(v);
  if (abs !== 0 && (abs < 1e-3 || abs >= 1e7)) {
    const [mantissa = '', exponent = ''] = v.toExponential().split('e');
    return `${mantissa.includes('.') ? mantissa : `${mantissa}.0`}E${exponent.replace('+', '')}`;
  }
  const text = String(v);
  return text.includes('.') ? text : `${text}.0`;
}
