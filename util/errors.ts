/**
 * The one base class for atlog's typed errors. Every folder defines its own codes; the API maps a
 * code to a problem-details response, the CLI to a one-line message and an exit status. Codes are
 * stable: change a message freely, never a code.
 */
export class AtlogError<Code extends string = string> extends Error {
  readonly code: Code;
  /** True when the same request may succeed later unchanged (overload, shutdown, a passing fault). */
  readonly retryable: boolean;

  constructor(code: Code, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retryable = options?.retryable ?? false;
  }
}
