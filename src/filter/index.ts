export {
  compileSql92,
  DEFAULT_SQL92_LIMITS,
  EVALUATION_ERROR,
  MQFilterError,
  SQL92,
  Sql92Cache,
  Sql92Expression,
  type EvaluationContext,
  type Sql92Limits,
  type Sql92Result,
} from './sql92/index.js';
