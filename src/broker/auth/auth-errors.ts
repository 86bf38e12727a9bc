/**
 * AuthenticationException / AuthorizationException: a refusal whose message is the remark the client gets (with
 * NO_PERMISSION, 16) or the reason an admin request (3001-3010) failed. Plain errors: the auth module knows nothing
 * of responses or transports; the pipeline and the admin processor turn these into answers.
 */
export class AuthenticationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthenticationException';
  }
}

export class AuthorizationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthorizationException';
  }
}
