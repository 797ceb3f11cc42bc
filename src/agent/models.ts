import type { LanguageModel } from "ai";
import { ConfigError } from "../shared/errors.js";

/**
 * A model: `"openai:<model>"` (Responses API), `"openai-chat:<model>"` (Chat Completions),
 * `"anthropic:<model>"`, `"openai-compatible:<baseURL>#<model>"` (Ollama, vLLM, LM Studio), or
 * any AI SDK LanguageModel object.
 */
export type ModelSpec = string | Exclude<LanguageModel, string>;

export interface ResolvedModel {
  model: Exclude<LanguageModel, string>;
  /** `provider:model`, used for prices and shown in traces. */
  key: string;
}

type Env = Record<string, string | undefined>;

/**
 * Turns a model spec into an AI SDK model; keys and base URLs come from the environment. A
 * provider's package is loaded the first time a spec names it, so a process that runs no agent
 * (or only agents on other providers) never pays for loading it.
 */
export async function resolveModel(spec: ModelSpec, env: Env = process.env): Promise<ResolvedModel> {
  // "openai.chat" and "openai.responses" price alike: the key names the vendor only.
  if (typeof spec !== "string") return { model: spec, key: `${spec.provider.split(".")[0]}:${spec.modelId}` };
  const colon = spec.indexOf(":");
  const provider = colon < 0 ? "" : spec.slice(0, colon);
  const name = colon < 0 ? "" : spec.slice(colon + 1);
  if (name === "") throw badSpec(spec);
  switch (provider) {
    case "openai":
    case "openai-chat": {
      const apiKey = key(env, "OPENAI_API_KEY", spec);
      const { createOpenAI } = await import("@ai-sdk/openai");
      const openai = createOpenAI({
        apiKey,
        ...baseURL(env.OPENAI_BASE_URL),
      });
      return {
        model: provider === "openai" ? openai.responses(name) : openai.chat(name),
        key: `openai:${name}`,
      };
    }
    case "anthropic": {
      const apiKey = key(env, "ANTHROPIC_API_KEY", spec);
      const { createAnthropic } = await import("@ai-sdk/anthropic");
      const anthropic = createAnthropic({
        apiKey,
        ...baseURL(env.ANTHROPIC_BASE_URL),
      });
      return { model: anthropic(name), key: `anthropic:${name}` };
    }
    case "openai-compatible": {
      const hash = name.lastIndexOf("#");
      if (hash <= 0 || hash === name.length - 1) {
        throw new ConfigError(
          `model "${spec}": write openai-compatible:<baseURL>#<model>, e.g. openai-compatible:http://localhost:11434/v1#llama3.1`,
        );
      }
      const url = name.slice(0, hash);
      const model = name.slice(hash + 1);
      const { createOpenAICompatible } = await import("@ai-sdk/openai-compatible");
      const compatible = createOpenAICompatible({
        name: "openai-compatible",
        baseURL: url,
        ...(env.OPENAI_COMPATIBLE_API_KEY ? { apiKey: env.OPENAI_COMPATIBLE_API_KEY } : {}),
        includeUsage: true,
      });
      return { model: compatible.chatModel(model), key: `openai-compatible:${model}` };
    }
    default:
      throw badSpec(spec);
  }
}

function key(env: Env, name: string, spec: string): string {
  const value = env[name];
  if (value === undefined || value === "") {
    throw new ConfigError(`model "${spec}" needs ${name} in the environment (export ${name}=…)`);
  }
  return value;
}

function baseURL(url: string | undefined): { baseURL?: string } {
  return url ? { baseURL: url } : {};
}

function badSpec(spec: string): ConfigError {
  return new ConfigError(
    `model "${spec}" is not a model spec; use openai:<model>, openai-chat:<model>, anthropic:<model>, ` +
      `openai-compatible:<baseURL>#<model>, or pass an AI SDK model object`,
  );
}
