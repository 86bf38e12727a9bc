export {
  BrokerOuterAPI,
  brokerVIPChannel,
  type BrokerOuterAPIOptions,
  type BrokerIdentityHeader,
  type FetchNameServerAddrTaskOptions,
  type RegisterBrokerAllRequest,
  type RegisterBrokerResult,
} from './broker-outer-api.js';
export { TopAddressing, wsAddr, DEFAULT_NAMESRV_ADDR_LOOKUP, type TopAddressingOptions } from './top-addressing.js';
