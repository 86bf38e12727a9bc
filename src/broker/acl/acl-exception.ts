/**
 * AclException.java. A denial throws it from the validating RPC hook; the remoting layer answers SYSTEM_ERROR (1)
 * with exceptionSimpleDesc, so the name is Java's class name: clients (and tests) match the remark
 * "org.apache.rocketmq.acl.common.AclException: <message>, <frame>" as a 4.9.8 broker writes it.
 */
export class AclException extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'org.apache.rocketmq.acl.common.AclException';
  }
}
