import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
} from "@ai-sdk/provider";
import { resolve } from "node:path";
import type { ModelSpec } from "../agent/models.js";
import { ConfigError, NonRetriableError } from "../shared/errors.js";
import { decodeValue, encodeValue, requestOf, scrubSecrets } from "./recording-codec.js";
import type { Exchange } from "./recording-file.js";
import { RecordingFile } from "./recording-file.js";
import { describeRequestChange, sameRequest } from "./request-diff.js";

type Env = Record<string, string | undefined>;

export interface RecordedModelOptions {
  /** The recording's file, e.g. `test/recordings/poster.json` (relative to the working directory). */
  fixture: string;
  /**
   * "auto" (default): record when CAIRN_RECORD=1, else replay. "record" calls the real model and
   * writes the file; "replay" answers from the file and never reaches the network.
   */
  mode?: "auto" | "record" | "replay";
  /** Where CAIRN_RECORD, API keys and base URLs are read. Default process.env. */
  env?: Env;
}

/** A model that records a real provider's exchanges, or replays them offline. */
export interface RecordedModel extends LanguageModelV3 {
  readonly fixture: string;
  readonly mode: "record" | "replay";
}

/**
 * Wraps a model (a spec such as "openai:gpt-4.1-mini", or an AI SDK model object) for tests: with
 * CAIRN_RECORD=1 it calls the real provider and saves each exchange (request and streamed answer,
 * with API keys, Authorization headers and other credentials left out) to `fixture`; otherwise it
 * answers from that file, offline and the same every time, without needing an API key. A request
 * that no longer matches its recording fails the model call with what changed (messages, tools,
 * parameters), so a changed prompt is never answered by a stale recording.
 *
 * @example
 * const model = recordedModel("openai:gpt-4.1-mini", { fixture: "test/recordings/poster.json" });
 * const poster = agent({ name: "poster", instructions: "…", model, tools: { post } });
 */
export function recordedModel(model: ModelSpec, options: RecordedModelOptions): RecordedModel {
  const env = options.env ?? process.env;
  const mode =
    options.mode === "record" || options.mode === "replay"
      ? options.mode
      : env.CAIRN_RECORD === "1" || env.CAIRN_RECORD === "true"
        ? "record"
        : "replay";
  const { provider, modelId } = identity(model);
  const file = new RecordingFile(resolve(options.fixture), `${provider.split(".")[0]}:${modelId}`);
  let real: Promise<LanguageModelV3> | undefined;
  const inner = () => (real ??= realModel(model, env));
  const replayer = new Replayer(file, env);

  const wrapper: RecordedModel = {
    specificationVersion: "v3",
    provider,
    modelId,
    supportedUrls: typeof model === "string" || !("supportedUrls" in model) ? {} : model.supportedUrls,
    fixture: file.path,
    mode,
    async doStream(call: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      if (mode === "replay") return replayer.stream(call);
      const result = await (await inner()).doStream(call);
      const request = scrubSecrets(requestOf(call), env) as Record<string, unknown>;
      const parts: unknown[] = [];
      const stream = result.stream.pipeThrough(
        new TransformStream<LanguageModelV3StreamPart, LanguageModelV3StreamPart>({
          transform(part, controller) {
            parts.push(scrubSecrets(encodeValue(part), env));
            controller.enqueue(part);
          },
          flush() {
            file.record({ request, response: { kind: "stream", parts } });
          },
        }),
      );
      return { stream };
    },
    async doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      if (mode === "replay") return replayer.generate(call);
      const result = await (await inner()).doGenerate(call);
      const { content, finishReason, usage, providerMetadata, warnings } = result;
      const response = result.response
        ? { id: result.response.id, timestamp: result.response.timestamp, modelId: result.response.modelId }
        : undefined;
      file.record({
        request: scrubSecrets(requestOf(call), env) as Record<string, unknown>,
        response: {
          kind: "generate",
          result: scrubSecrets(
            encodeValue({ content, finishReason, usage, providerMetadata, warnings, response }),
            env,
          ),
        },
      });
      return result;
    },
  };
  return wrapper;
}

function identity(model: ModelSpec): { provider: string; modelId: string } {
  if (typeof model !== "string") {
    if (model.specificationVersion !== "v3")
      throw new ConfigError(
        `recordedModel: the model ${model.provider}:${model.modelId} speaks the AI SDK's ${model.specificationVersion} interface; pass a v3 model (AI SDK 6 providers) or a model spec string`,
      );
    return { provider: model.provider, modelId: model.modelId };
  }
  const colon = model.indexOf(":");
  const rest = model.slice(colon + 1);
  const provider = colon < 0 ? model : model.slice(0, colon);
  const hash = rest.lastIndexOf("#");
  // "openai-chat:x" prices and reads as "openai:x", as resolveModel names it.
  return {
    provider: provider === "openai-chat" ? "openai" : provider,
    modelId: hash >= 0 ? rest.slice(hash + 1) : rest,
  };
}

async function realModel(model: ModelSpec, env: Env): Promise<LanguageModelV3> {
  if (typeof model !== "string") return model as LanguageModelV3;
  const { resolveModel } = await import("../agent/models.js");
  return (await resolveModel(model, env)).model as LanguageModelV3;
}

/** Answers model calls from a recording, each from the first unused exchange with the same request. */
class Replayer {
  private readonly used = new Set<number>();
  private calls = 0;

  constructor(
    private readonly file: RecordingFile,
    private readonly env: Env,
  ) {}

  stream(call: LanguageModelV3CallOptions): LanguageModelV3StreamResult {
    const exchange = this.find(call, "stream");
    const parts = (exchange.response.kind === "stream" ? exchange.response.parts : []).map(
      (p) => decodeValue(p) as LanguageModelV3StreamPart,
    );
    const stream = new ReadableStream<LanguageModelV3StreamPart>({
      start(controller) {
        for (const part of parts) controller.enqueue(part);
        controller.close();
      },
    });
    return { stream };
  }

  generate(call: LanguageModelV3CallOptions): LanguageModelV3GenerateResult {
    const exchange = this.find(call, "generate");
    return decodeValue(
      exchange.response.kind === "generate" ? exchange.response.result : {},
    ) as LanguageModelV3GenerateResult;
  }

  private find(call: LanguageModelV3CallOptions, kind: "stream" | "generate"): Exchange {
    const n = ++this.calls;
    const exchanges = this.file.load();
    const request = scrubSecrets(requestOf(call), this.env) as Record<string, unknown>;
    const same = (e: Exchange) => e.response.kind === kind && sameRequest(e.request, request);
    let index = exchanges.findIndex((e, i) => !this.used.has(i) && same(e));
    // The same request again (a call re-sent after a crash) gets the same answer.
    if (index < 0) index = exchanges.findIndex(same);
    if (index >= 0) {
      this.used.add(index);
      return exchanges[index]!;
    }
    const expected = exchanges.findIndex((_, i) => !this.used.has(i));
    const where = `${this.file.model}'s recording ${this.file.path}`;
    const again = `If the change is intended, record again: CAIRN_RECORD=1 with the provider's API key set.`;
    if (expected < 0) {
      throw new NonRetriableError(
        `recorded model: request ${n} has no recording: ${where} holds ${exchanges.length} exchange(s), all used. ${again}`,
      );
    }
    const recorded = exchanges[expected]!;
    const change =
      recorded.response.kind !== kind
        ? `  the recording was a ${recorded.response.kind} call, this is a ${kind} call`
        : describeRequestChange(recorded.request, request);
    throw new NonRetriableError(
      `recorded model: request ${n} does not match ${where} (exchange ${expected + 1} of ${exchanges.length}):\n${change}\n${again}`,
    );
  }
}
