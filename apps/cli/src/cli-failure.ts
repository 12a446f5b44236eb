import { SigfedApiError, SigfedNetworkError } from '@app/sdk';

/** A member-command failure whose message is the whole story: printed as is, exit status 1 unless told. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** Exit status of a command whose request the server refused (a GraphQL or OAuth error). */
export const EXIT_REFUSED = 2;
/** Exit status of a command that could not reach the server (after the client's retries). */
export const EXIT_UNREACHABLE = 3;

/** The exit status a failure ends a member command with (docs/member-cli.md, "Output and exit codes"). */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CliFailure) return error.exitCode;
  if (error instanceof SigfedApiError) return EXIT_REFUSED;
  if (error instanceof SigfedNetworkError) return EXIT_UNREACHABLE;
  return 1;
}
