import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { ConfigError } from "../shared/errors.js";

/** One model call: the request as compared on replay, and the answer as the provider gave it. */
export interface Exchange {
  request: Record<string, unknown>;
  response: { kind: "stream"; parts: unknown[] } | { kind: "generate"; result: unknown };
}

interface RecordingDocument {
  cairn: "model-recording";
  version: 1;
  model: string;
  exchanges: Exchange[];
}

/** Fixtures this process has begun recording: the first exchange of a run of the tests starts the file afresh. */
const begun = new Set<string>();

/** A recording on disk: pretty JSON, so a re-recording's changes read well in a code review. */
export class RecordingFile {
  private loaded: Exchange[] | undefined;

  constructor(
    readonly path: string,
    readonly model: string,
  ) {}

  /** Appends an exchange (the file is rewritten whole, so it is always valid JSON). */
  record(exchange: Exchange): void {
    if (!begun.has(this.path)) {
      begun.add(this.path);
      this.loaded = [];
    } else {
      this.loaded ??= this.read();
    }
    this.loaded.push(exchange);
    const doc: RecordingDocument = {
      cairn: "model-recording",
      version: 1,
      model: this.model,
      exchanges: this.loaded,
    };
    mkdirSync(dirname(this.path), { recursive: true });
    writeFileSync(this.path, JSON.stringify(doc, null, 2) + "\n");
  }

  load(): Exchange[] {
    return (this.loaded ??= this.read());
  }

  private read(): Exchange[] {
    if (!existsSync(this.path)) {
      throw new ConfigError(
        `no model recording at ${this.path}: run this test once with CAIRN_RECORD=1 and the provider's API key to record it`,
      );
    }
    let doc: Partial<RecordingDocument>;
    try {
      doc = JSON.parse(readFileSync(this.path, "utf8")) as Partial<RecordingDocument>;
    } catch (cause) {
      throw new ConfigError(
        `the model recording ${this.path} is not valid JSON: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (doc.cairn !== "model-recording" || doc.version !== 1 || !Array.isArray(doc.exchanges)) {
      throw new ConfigError(
        `${this.path} is not a Cairn model recording (version 1); record it again with CAIRN_RECORD=1`,
      );
    }
    return doc.exchanges;
  }
}
