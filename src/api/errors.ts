// Errors the API answers with, in Alertmanager's two shapes: request validation problems as
// {code, message} (go-openapi's shape), refusals of a handler as a JSON string.
export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  /** "object": {code, message}; "string": the message as a JSON string. */
  readonly shape: "object" | "string";
  readonly headers: Readonly<Record<string, string>>;

  constructor(
    status: number,
    message: string,
    options: { shape?: "object" | "string"; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.shape = options.shape ?? "object";
    this.headers = options.headers ?? {};
  }

  get body(): unknown {
    return this.shape === "string" ? this.message : { code: this.status, message: this.message };
  }
}

/** A handler's refusal (bad matcher, silence not found): Alertmanager answers these as a string. */
export const refusal = (status: number, message: string) =>
  new ApiError(status, message, { shape: "string" });
