export {
  BrokerOuterAPI,
  brokerVIPChannel,
  type BrokerOuterAPIOptions,
  type BrokerIdentityHeader,
  type FetchNameServerAddrTaskOptions,
  type RegisterBrokerAllRequest,
  type RegisterBrokerResult,
} from './broker-outer-api.js';
