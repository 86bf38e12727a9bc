import { RocketMQError } from '../../common/errors.js';
import { EVALUATION_ERROR, type EvaluationContext, type Sql92Node } from './expression.js';
import { DEFAULT_SQL92_LIMITS, parseSql92, Sql92SyntaxError, type Sql92Limits } from './parser.js';

export { EVALUATION_ERROR, type EvaluationContext } from './expression.js';
export { DEFAULT_SQL92_LIMITS, type Sql92Limits } from './parser.js';

/** ExpressionType.SQL92. */
export const SQL92 = 'SQL92';

/**
 * MQFilterException: an expression that does not compile. The message names what is wrong and where
 * ("Invalid MessageSelector. Encountered ..."); `position` is the index in the expression, when there is one.
 */
export class MQFilterError extends RocketMQError {
  readonly position: number | undefined;

  constructor(
    message: string,
    readonly expression: string,
    position?: number,
  ) {
    super(`Invalid MessageSelector. ${message}`, 'MQ_FILTER', false);
    this.position = position;
  }
}

/** Outcome of one evaluation: Java's TRUE, FALSE, null (unknown), or the exception evaluate() threw. */
export type Sql92Result = boolean | null | typeof EVALUATION_ERROR;

/** A compiled selector: evaluate it against any number of messages. Immutable, so shared freely. */
export class Sql92Expression {
  constructor(
    /** The expression as written. */
    readonly expression: string,
    private readonly root: Sql92Node,
  ) {}

  /** Java's evaluate(): TRUE, FALSE, null, or EVALUATION_ERROR where Java throws. Never throws. */
  evaluate(ctx: EvaluationContext): Sql92Result {
    const v = this.root.evaluate(ctx);
    return v === null || typeof v === 'boolean' || v === EVALUATION_ERROR ? v : EVALUATION_ERROR;
  }

  /** Whether a message with these properties is delivered: only a TRUE outcome is (ExpressionMessageFilter). */
  matches(ctx: EvaluationContext): boolean {
    return this.root.evaluate(ctx) === true;
  }

  /** The parsed form, in Java's toString notation (for logs). */
  toString(): string {
    return this.root.toString();
  }
}

/**
 * Compiles a SQL92 selector the way RocketMQ 5.3.3's SqlFilter does (see parser.ts for the grammar and its
 * quirks), within `limits`; throws MQFilterError. Pure: no I/O, no timers.
 */
export function compileSql92(expression: string, limits: Sql92Limits = DEFAULT_SQL92_LIMITS): Sql92Expression {
  try {
    return new Sql92Expression(expression, parseSql92(expression, limits));
  } catch (err) {
    if (err instanceof Sql92SyntaxError) throw new MQFilterError(err.message, expression, err.at);
    // A RangeError is a stack overflow the depth limit did not prevent: still the expression's fault.
    if (err instanceof RangeError) throw new MQFilterError(`the expression is too complex (${err.message})`, expression);
    throw err;
  }
}

const CACHE_SIZE = 256;

/**
 * Compiled expressions (and compile errors) by expression text, the most recently used 256, as SelectorParser's
 * PARSE_CACHE (100 in Java): a pull that carries its subscription compiles nothing twice.
 */
export class Sql92Cache {
  private readonly entries = new Map<string, Sql92Expression | MQFilterError>();

  constructor(
    private readonly capacity = CACHE_SIZE,
    private readonly limits: Sql92Limits = DEFAULT_SQL92_LIMITS,
  ) {}

  /** compileSql92, remembered; throws the (remembered) MQFilterError. */
  compile(expression: string): Sql92Expression {
    let entry = this.entries.get(expression);
    if (entry !== undefined) {
      // Most recently used last.
      this.entries.delete(expression);
    } else {
      try {
        entry = compileSql92(expression, this.limits);
      } catch (err) {
        if (!(err instanceof MQFilterError)) throw err;
        entry = err;
      }
      if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    }
    this.entries.set(expression, entry);
    if (entry instanceof MQFilterError) throw entry;
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}
