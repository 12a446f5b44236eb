/** A TAXII 2.1 error message (section 3.6.1), with the HTTP status it is sent with. */
export class TaxiiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly description?: string,
  ) {
    super(description ?? title);
    this.name = 'TaxiiError';
  }

  /** The error resource as TAXII clients read it. */
  toJSON(): { title: string; description?: string; http_status: string } {
    return { title: this.title, ...(this.description ? { description: this.description } : {}), http_status: String(this.status) };
  }
}

/** 400 for a bad query parameter: names the parameter and the rule. */
export function badParameter(name: string, rule: string): TaxiiError {
  return new TaxiiError(400, 'Bad request', `${name}: ${rule}`);
}
