export * from './protocol/index.js';
export * from './remoting/index.js';
export * from './protocol/bodies/index.js';
export * from './protocol/headers/index.js';
export * from './protocol/message/index.js';
export * from './namesrv/index.js';
export * from './broker/index.js';
export * from './store/index.js';
export * from './client/index.js';
export * from './filter/index.js';
export {
  BrokerOuterAPI,
  type BrokerOuterAPIOptions,
  type RegisterBrokerAllRequest,
  type RegisterBrokerResult as BrokerRegisterResult,
} from './broker/out/index.js';
export {
  RocketMQError,
  RemotingCommandError,
  RemotingConnectError,
  RemotingSendRequestError,
  RemotingTimeoutError,
  RemotingTooMuchRequestError,
  RemotingShutdownError,
  MQBrokerError,
} from './common/errors.js';
export { BoundedExecutor, type ExecutorOptions } from './common/executor.js';
export { Semaphore } from './common/semaphore.js';
export { silentLogger, createConsoleLogger, type Logger, type LogLevel } from './common/logger.js';
