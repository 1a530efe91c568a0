/**
 * Named errors. Step Functions matches Retry/Catch on `error.name`, and the HTTP error handler turns
 * `statusCode`/`code`/`expose` into the contract's error body, so handlers never build error bodies.
 */

/** Base of every error this code throws on purpose. */
export class NamedError extends Error {
  constructor(name: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = name;
  }
}

/** An error with an HTTP status; `code` is the contract's `error.code`. */
export class HttpError extends NamedError {
  readonly statusCode: number;
  readonly code: string;
  /** Safe to show to the client: always true for 4xx, false for 5xx unless said otherwise. */
  readonly expose: boolean;
  /** Extra top-level fields of the error body (e.g. `issues` for 400, `reason` for 422). */
  readonly details: Record<string, unknown>;
  /** Extra response headers (e.g. `Retry-After`). */
  readonly headers: Record<string, string>;

  constructor(
    statusCode: number,
    code: string,
    message: string,
    opts: { details?: Record<string, unknown>; headers?: Record<string, string>; cause?: unknown } = {},
  ) {
    super('HttpError', message, { cause: opts.cause });
    this.statusCode = statusCode;
    this.code = code;
    this.expose = statusCode < 500 || statusCode === 503;
    this.details = opts.details ?? {};
    this.headers = opts.headers ?? {};
  }
}

/** Retryable: a dependency was briefly unavailable. The ASL retries it with backoff and jitter. */
export class TransientError extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('TransientError', message, options);
  }
}

/** The destination is not in the sandbox catalog. Not retryable: the saga rolls back. */
export class UnknownDestination extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('UnknownDestination', message, options);
  }
}

/** The plan (from a model or the cache) failed validation, even after a repair round. */
export class PlanInvalid extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('PlanInvalid', message, options);
  }
}

/** A step's input does not fit its tool. Not retryable. */
export class InvalidStepInput extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidStepInput', message, options);
  }
}

/** The referenced workflow record or plan is missing: a bug or a tampered input. Not retryable. */
export class WorkflowStateMissing extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('WorkflowStateMissing', message, options);
  }
}

/** The user cancelled the workflow (cooperative cancel). Not retryable: the saga ends it `cancelled`. */
export class WorkflowCancelled extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('WorkflowCancelled', message, options);
  }
}
