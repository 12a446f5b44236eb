/** A named SQL statement with its parameter and row types next to it. */
export interface Statement<P extends readonly unknown[], R> {
  readonly name: string;
  readonly text: string;
  readonly __types?: [P, R];
}
export function statement<P extends readonly unknown[], R = Record<string, never>>(name: string, text: string): Statement<P, R> {
  return { name, text };
}
