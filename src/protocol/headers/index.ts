export * as NamesrvHeaders from './namesrv.js';
export * as BrokerHeaders from './broker.js';
