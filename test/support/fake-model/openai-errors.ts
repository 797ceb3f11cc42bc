/** OpenAI's error body: `{ error: { message, type, param, code } }` (shared by Chat Completions and Responses). */

const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: "invalid_request_error", code: null, message: "Invalid request." },
  401: {
    type: "invalid_request_error",
    code: "invalid_api_key",
    message:
      "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.",
  },
  403: { type: "invalid_request_error", code: "unsupported_country_region_territory", message: "Forbidden." },
  404: { type: "invalid_request_error", code: "model_not_found", message: "The model does not exist." },
  429: {
    type: "requests",
    code: "rate_limit_exceeded",
    message: "Rate limit reached for requests. Please try again later.",
  },
  500: {
    type: "server_error",
    code: null,
    message: "The server had an error while processing your request.",
  },
  503: {
    type: "server_error",
    code: null,
    message: "The engine is currently overloaded, please try again later.",
  },
};

export function openaiErrorBody(status: number, message: string | undefined): unknown {
  const known = OPENAI_ERRORS[status] ?? OPENAI_ERRORS[status >= 500 ? 500 : 400]!;
  return { error: { message: message ?? known.message, type: known.type, param: null, code: known.code } };
}
