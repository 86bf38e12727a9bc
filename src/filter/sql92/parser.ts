import {
  BooleanCastNode,
  ConstantNode,
  EqualNode,
  InNode,
  JavaDouble,
  JavaInt,
  JavaLong,
  LogicNode,
  NegateNode,
  NotNode,
  OrderNode,
  PropertyNode,
  StringTestNode,
  compareValues,
  EVALUATION_ERROR,
  type OrderOperator,
  type Sql92Node,
  type StringOperator,
} from './expression.js';
import { describeToken, Lexer, LexicalError, position, TokenKind, type Token } from './lexer.js';

/** Bounds on what one expression may cost; Java has none (a deep enough one overflows its stack). */
export interface Sql92Limits {
  /** Characters in the expression; default 16384. */
  readonly maxLength: number;
  /** Nesting of parentheses, unary operators and chained comparisons; default 100. */
  readonly maxDepth: number;
  /** Strings in one IN list; default 1000. */
  readonly maxInListSize: number;
}

export const DEFAULT_SQL92_LIMITS: Sql92Limits = { maxLength: 16_384, maxDepth: 100, maxInListSize: 1000 };

/** Why an expression does not compile: a syntax error, an expression Java refuses to build, or a limit. */
export class Sql92SyntaxError extends Error {
  constructor(
    message: string,
    /** Index in the expression where the problem was found, when it has one. */
    readonly at?: number,
  ) {
    super(message);
    this.name = 'Sql92SyntaxError';
  }
}

const INT_MIN = -2147483648;
const INT_MAX = 2147483647;
const LONG_MAX = 2n ** 63n - 1n;
/** Double.MAX_VALUE and Double.MIN_VALUE (the least positive double). */
const DOUBLE_MAX = Number.MAX_VALUE;
const DOUBLE_MIN = Number.MIN_VALUE;

const NULL_CONSTANT = new ConstantNode(null);
const TRUE_CONSTANT = new ConstantNode(true);
const FALSE_CONSTANT = new ConstantNode(false);

/**
 * SelectorParser (the JavaCC parser of RocketMQ 5.3.3's SelectorParser.jj), by recursive descent with the same
 * productions, lookaheads and node factories (ComparisonExpression.createXxx, LogicExpression, UnaryExpression,
 * with their checks):
 *
 *   selector    := or                                   (what follows is not read, see below)
 *   or          := and (OR and)*
 *   and         := equality (AND equality)*
 *   equality    := comparison ( '=' comparison | '<>' comparison | IS NULL | IS NOT NULL )*
 *   comparison  := unary ( ('>' | '>=' | '<' | '<=') unary
 *                        | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) string
 *                        | [NOT] BETWEEN unary AND unary
 *                        | [NOT] IN '(' string (',' string)* ')' )*
 *   unary       := '+' unary | '-' unary | NOT unary | primary
 *   primary     := literal | identifier | '(' or ')'
 *
 * NOT binds tighter than every comparison: `NOT a = 'x'` is `(NOT a) = 'x'`. Like Java's, the parser stops after
 * the longest selector it can read and ignores the rest, once the token after it has been read: `a = 1 b` is
 * `a = 1`, `a = 1 #` fails on the `#`.
 */
export function parseSql92(text: string, limits: Sql92Limits = DEFAULT_SQL92_LIMITS): Sql92Node {
  if (text.length > limits.maxLength) {
    throw new Sql92SyntaxError(`the expression is ${text.length} characters long, more than the ${limits.maxLength} allowed`);
  }
  try {
    return new Parser(text, limits).selector();
  } catch (err) {
    if (err instanceof LexicalError) throw new Sql92SyntaxError(err.message, err.at);
    throw err;
  }
}

class Parser {
  private readonly lexer: Lexer;
  private depth = 0;

  constructor(
    private readonly text: string,
    private readonly limits: Sql92Limits,
  ) {
    this.lexer = new Lexer(text);
  }

  selector(): Sql92Node {
    return this.asBoolean(this.or(), this.lexer.peek());
  }

  private or(): Sql92Node {
    const first = this.lexer.peek();
    const left = this.and();
    if (this.lexer.peek().kind !== TokenKind.OR) return left;
    const operands = [this.asBoolean(left, first)];
    while (this.lexer.peek().kind === TokenKind.OR) {
      this.lexer.next();
      const at = this.lexer.peek();
      operands.push(this.asBoolean(this.and(), at));
    }
    return this.checked(new LogicNode(true, operands));
  }

  private and(): Sql92Node {
    const first = this.lexer.peek();
    const left = this.equality();
    if (this.lexer.peek().kind !== TokenKind.AND) return left;
    const operands = [this.asBoolean(left, first)];
    while (this.lexer.peek().kind === TokenKind.AND) {
      this.lexer.next();
      const at = this.lexer.peek();
      operands.push(this.asBoolean(this.equality(), at));
    }
    return this.checked(new LogicNode(false, operands));
  }

  private equality(): Sql92Node {
    let left = this.comparison();
    for (;;) {
      const token = this.lexer.peek();
      switch (token.kind) {
        case TokenKind.EQ:
          this.lexer.next();
          left = createEqual(left, this.comparison(), token);
          break;
        case TokenKind.NE:
          this.lexer.next();
          left = new NotNode(createEqual(left, this.comparison(), token));
          break;
        case TokenKind.IS:
          this.lexer.next();
          if (this.lexer.peek().kind === TokenKind.NULL) {
            this.lexer.next();
            left = new EqualNode(left, NULL_CONSTANT);
          } else {
            this.expect(TokenKind.NOT, 'NULL or NOT NULL after IS');
            this.expect(TokenKind.NULL, 'NULL after IS NOT');
            left = new NotNode(new EqualNode(left, NULL_CONSTANT));
          }
          break;
        default:
          return left;
      }
      this.checked(left);
    }
  }

  private comparison(): Sql92Node {
    let left = this.unary();
    for (;;) {
      const token = this.lexer.peek();
      let not = false;
      let operator = token.kind;
      if (operator === TokenKind.NOT) {
        // LOOKAHEAD(2): NOT here is only the start of NOT CONTAINS, NOT BETWEEN, NOT IN...
        operator = this.lexer.peek(2).kind;
        switch (operator) {
          case TokenKind.CONTAINS:
          case TokenKind.STARTSWITH:
          case TokenKind.ENDSWITH:
          case TokenKind.BETWEEN:
          case TokenKind.IN:
            this.lexer.next();
            not = true;
            break;
          default:
            throw this.unexpected(this.lexer.peek(2), 'CONTAINS, STARTSWITH, ENDSWITH, BETWEEN or IN after NOT');
        }
      }
      switch (operator) {
        case TokenKind.GT:
        case TokenKind.GE:
        case TokenKind.LT:
        case TokenKind.LE: {
          this.lexer.next();
          left = createOrder(token.image as OrderOperator, left, this.unary(), token);
          break;
        }
        case TokenKind.CONTAINS:
        case TokenKind.STARTSWITH:
        case TokenKind.ENDSWITH: {
          const keyword = this.lexer.next();
          left = new StringTestNode(keyword.image.toUpperCase() as StringOperator, not, left, this.string());
          break;
        }
        case TokenKind.BETWEEN: {
          this.lexer.next();
          const low = this.unary();
          this.expect(TokenKind.AND, 'AND in BETWEEN ... AND ...');
          const high = this.unary();
          left = not ? createNotBetween(left, low, high, token) : createBetween(left, low, high, token);
          break;
        }
        case TokenKind.IN: {
          this.lexer.next();
          this.expect(TokenKind.LPAREN, '( after IN');
          const values = [this.string()];
          while (this.lexer.peek().kind === TokenKind.COMMA) {
            this.lexer.next();
            values.push(this.string());
            if (values.length > this.limits.maxInListSize) {
              throw new Sql92SyntaxError(`the IN list at ${position(this.text, token.at)} has more than ${this.limits.maxInListSize} values`, token.at);
            }
          }
          this.expect(TokenKind.RPAREN, ', or ) in the IN list');
          if (!left.isProperty) throw semantic(`Expected a property for In expression, got: ${String(left)}`, token);
          left = new InNode(left as PropertyNode, values, not);
          break;
        }
        default:
          return left;
      }
      this.checked(left);
    }
  }

  private unary(): Sql92Node {
    const token = this.lexer.peek();
    if (++this.depth > this.limits.maxDepth) {
      throw new Sql92SyntaxError(`the expression nests deeper than ${this.limits.maxDepth} at ${position(this.text, token.at)}`, token.at);
    }
    try {
      switch (token.kind) {
        case TokenKind.PLUS:
          this.lexer.next();
          return this.unary();
        case TokenKind.MINUS:
          this.lexer.next();
          return this.checked(new NegateNode(this.unary()));
        case TokenKind.NOT: {
          this.lexer.next();
          const at = this.lexer.peek();
          return this.checked(new NotNode(this.asBoolean(this.unary(), at)));
        }
        default:
          return this.primary();
      }
    } finally {
      this.depth--;
    }
  }

  private primary(): Sql92Node {
    const token = this.lexer.peek();
    switch (token.kind) {
      case TokenKind.STRING:
        return new ConstantNode(this.string());
      case TokenKind.DECIMAL:
        this.lexer.next();
        return decimalConstant(token);
      case TokenKind.FLOAT:
        this.lexer.next();
        return floatConstant(token);
      case TokenKind.TRUE:
        this.lexer.next();
        return TRUE_CONSTANT;
      case TokenKind.FALSE:
        this.lexer.next();
        return FALSE_CONSTANT;
      case TokenKind.NULL:
        this.lexer.next();
        return NULL_CONSTANT;
      case TokenKind.ID:
        this.lexer.next();
        return new PropertyNode(token.image);
      case TokenKind.LPAREN: {
        this.lexer.next();
        const inner = this.or();
        this.expect(TokenKind.RPAREN, ')');
        return inner;
      }
      default:
        throw this.unexpected(token, 'a literal, a property, (, +, - or NOT');
    }
  }

  /** stringLitteral(): the literal without its quotes, '' read as '. */
  private string(): string {
    const token = this.expect(TokenKind.STRING, 'a string literal');
    return token.image.slice(1, -1).replaceAll("''", "'");
  }

  private expect(kind: TokenKind, what: string): Token {
    const token = this.lexer.peek();
    if (token.kind !== kind) throw this.unexpected(token, what);
    return this.lexer.next();
  }

  /** SelectorParser.asBooleanExpression: a condition, or a property (cast), and nothing else. */
  private asBoolean(node: Sql92Node, at: Token): Sql92Node {
    if (node.isBoolean) return node;
    if (node.isProperty) return new BooleanCastNode(node);
    throw semantic(`Expression will not result in a boolean value: ${String(node)}`, at);
  }

  private checked<T extends Sql92Node>(node: T): T {
    if (node.height > this.limits.maxDepth) {
      throw new Sql92SyntaxError(`the expression nests deeper than ${this.limits.maxDepth}`);
    }
    return node;
  }

  private unexpected(token: Token, expected: string): Sql92SyntaxError {
    return new Sql92SyntaxError(`Encountered ${describeToken(token)} at ${position(this.text, token.at)}; expected ${expected}`, token.at);
  }
}

function semantic(message: string, at: Token): Sql92SyntaxError {
  return new Sql92SyntaxError(message, at.at);
}

/** ConstantExpression.createFromDecimal: a Long, an Integer when it fits; beyond Long.MAX_VALUE refused. */
function decimalConstant(token: Token): ConstantNode {
  const last = token.image.charCodeAt(token.image.length - 1);
  const digits = last === 108 || last === 76 ? token.image.slice(0, -1) : token.image;
  const value = BigInt(digits);
  if (value > LONG_MAX) throw semantic(`For input string: "${digits}" (beyond Long.MAX_VALUE)`, token);
  return new ConstantNode(value >= BigInt(INT_MIN) && value <= BigInt(INT_MAX) ? new JavaInt(Number(value)) : new JavaLong(value));
}

/** ConstantExpression.createFloat: a Double, refused beyond Double.MAX_VALUE and below Double.MIN_VALUE (0.0 too). */
function floatConstant(token: Token): ConstantNode {
  const value = Number(token.image);
  if (value > DOUBLE_MAX) throw semantic(`${token.image} is greater than ${DOUBLE_MAX}`, token);
  if (value < DOUBLE_MIN) throw semantic(`${token.image} is less than ${DOUBLE_MIN}`, token);
  return new ConstantNode(new JavaDouble(value));
}

/** ComparisonExpression.checkEqualOperand: NULL is no operand of = or <> (IS NULL is). */
function checkEqualOperand(node: Sql92Node, at: Token): void {
  if (node.isConstant && (node as ConstantNode).value === null) throw semantic(`'${String(node)}' cannot be compared.`, at);
}

function createEqual(left: Sql92Node, right: Sql92Node, at: Token): EqualNode {
  checkEqualOperand(left, at);
  checkEqualOperand(right, at);
  // checkEqualOperandCompatability: TRUE or FALSE = a non-boolean literal.
  if (left.isConstant && right.isConstant && left.isBoolean && !right.isBoolean) {
    throw semantic(`'${String(left)}' cannot be compared with '${String(right)}'`, at);
  }
  return new EqualNode(left, right);
}

/** ComparisonExpression.checkLessThanOperand: only numbers, properties and negations are ordered. */
function checkLessThanOperand(node: Sql92Node, at: Token): void {
  if (node.isConstant) {
    const value = (node as ConstantNode).value;
    if (value instanceof JavaInt || value instanceof JavaLong || value instanceof JavaDouble) return;
    throw semantic(`Value '${String(node)}' cannot be compared.`, at);
  }
  if (node.isBoolean) throw semantic(`Value '${String(node)}' cannot be compared.`, at);
}

function createOrder(operator: OrderOperator, left: Sql92Node, right: Sql92Node, at: Token): OrderNode {
  checkLessThanOperand(left, at);
  checkLessThanOperand(right, at);
  return new OrderNode(operator, left, right);
}

/** createBetween: value >= low AND value <= high; two literal bounds must be non-null and in order. */
function createBetween(value: Sql92Node, low: Sql92Node, high: Sql92Node, at: Token): LogicNode {
  if (low.isConstant && high.isConstant) {
    const lv = (low as ConstantNode).value;
    const hv = (high as ConstantNode).value;
    if (lv === null || hv === null) throw semantic('Illegal values of between, values can not be null!', at);
    const c = compareValues(hv, lv);
    if (c === EVALUATION_ERROR) throw semantic(`Illegal values of between, ${String(low)} and ${String(high)} cannot be compared`, at);
    if (c < 0) throw semantic(`Illegal values of between, left value(${String(low)}) must less than or equal to right value(${String(high)})`, at);
  }
  return new LogicNode(false, [createOrder('>=', value, low, at), createOrder('<=', value, high, at)]);
}

/** createNotBetween: value < low OR value > high, bounds unchecked. */
function createNotBetween(value: Sql92Node, low: Sql92Node, high: Sql92Node, at: Token): LogicNode {
  return new LogicNode(true, [createOrder('<', value, low, at), createOrder('>', value, high, at)]);
}
