/**
 * A reason the process cannot start, said in one line for an operator. Entry
 * points print `message` and exit non-zero instead of showing a stack trace.
 */
export class StartupError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'StartupError';
  }
}
