/** rocketmq-ts/testing: a real name server and broker in the test's own process, for application test suites. */
export { startDevCluster, type DevCluster, type DevClusterOptions, type DevTopicOptions } from './dev-cluster.js';
