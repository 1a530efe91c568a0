import { NamedError } from '#domain/errors.ts';

/**
 * Errors of the `http_request` tool. All of these are domain errors: retrying cannot change the
 * outcome, so the ASL must not retry them (only `TransientError` from `#domain/errors.ts` is retried).
 * Messages name the host at most, never the path/query (they may carry user data) and never a
 * resolved address (that would leak internal DNS to the model).
 */

/** The URL's scheme is not https (or http when the policy allows it). */
export class InsecureScheme extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InsecureScheme', message, options);
  }
}

/** The host (and port) is not on the allow-list. */
export class HostNotAllowed extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('HostNotAllowed', message, options);
  }
}

/** The host is, or resolves to, an address the tool must never connect to (loopback, private, metadata…). */
export class AddressBlocked extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('AddressBlocked', message, options);
  }
}

/** A URL (the request's or a redirect's Location) is malformed or carries credentials (`user:pass@`). */
export class InvalidUrl extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidUrl', message, options);
  }
}

/** DNS says the name does not exist or has no addresses. */
export class HostNotFound extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('HostNotFound', message, options);
  }
}

/** More redirects than the policy allows (a loop, or a chain too long to trust). */
export class TooManyRedirects extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('TooManyRedirects', message, options);
  }
}

/** A non-transient failure talking to the upstream: TLS certificate errors, malformed HTTP, … */
export class FetchFailed extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('FetchFailed', message, options);
  }
}

/** The policy itself (allow-list entry, limit) is invalid: a deployment error, raised at load. */
export class InvalidHttpPolicy extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidHttpPolicy', message, options);
  }
}

/** Names of the non-retryable errors above, for ASL Catch lists and the tool registry. */
export const HTTP_TOOL_DOMAIN_ERRORS = [
  'InsecureScheme',
  'HostNotAllowed',
  'AddressBlocked',
  'InvalidUrl',
  'HostNotFound',
  'TooManyRedirects',
  'FetchFailed',
] as const;
