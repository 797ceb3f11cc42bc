import type { UIMessageChunk } from "ai";
import { modelTurnOf } from "../agent/run-usage.js";
import type { StreamEvent } from "./run-log-hub.js";

/** A model step of an agent run: `model`, `model#2`, … (checkpoint "calls") or `turn`… ("turn"). */
const MODEL_STEP = /^(model|turn)(#\d+)?$/;
/** A tool step: `tool.<name>`, `tool.<name>#2`, … */
const TOOL_STEP = /^tool\.(.+?)(#\d+)?$/;
/** An approval step of a gated tool call: `approve.<name>`, … */
const APPROVAL_STEP = /^approve\.(.+?)(#\d+)?$/;

interface PendingCall {
  toolCallId: string;
  toolName: string;
  approvalId?: string;
}

/**
 * Turns an agent run's log, event by event, into the AI SDK's UI message stream (protocol v1):
 * one assistant message whose steps are the run's model calls, with their text deltas, tool
 * calls, tool results and approval requests. It reads the whole log to know the state, and emits
 * only the events after `emitAfter` (a continuation after an approval). `done` once the message
 * is finished: the run ended, or it waits for an approval the client must answer.
 */
export class UiMessageTranslator {
  done = false;
  private started = false;
  private stepOpen = false;
  /** The open text part: its id names the step and the attempt whose tokens it holds. */
  private text: { id: string; stepId: string; source: string } | undefined;
  /** Steps whose text was streamed (so a step's final text is not shown twice). */
  private readonly streamed = new Set<string>();
  private readonly pending: PendingCall[] = [];
  private awaitingApproval = 0;

  constructor(
    private readonly messageId: string,
    private readonly emitAfter = 0,
  ) {}

  /** The chunks `event` makes (none for events at or before `emitAfter`). */
  push(event: StreamEvent): UIMessageChunk[] {
    const out: UIMessageChunk[] = [];
    const emit = event.seq > this.emitAfter;
    const send = (c: UIMessageChunk) => {
      if (emit) out.push(c);
    };
    if (emit && !this.started) {
      this.started = true;
      out.push({ type: "start", messageId: this.messageId });
    }
    const step = event.stepId ?? "";
    switch (event.type) {
      case "step.started":
        if (MODEL_STEP.test(step)) this.openStep(send);
        break;
      case "step.progress":
        if (MODEL_STEP.test(step)) this.progress(event, send);
        break;
      case "step.retrying":
        // The attempt's tokens are superseded: the next attempt's go in a new text part.
        if (this.text?.stepId === step) this.closeText(send);
        break;
      case "step.ended":
        if (MODEL_STEP.test(step)) this.modelEnded(event, send);
        else if (TOOL_STEP.test(step)) this.toolEnded(event, send);
        break;
      case "approval.requested":
        this.approvalRequested(event, send);
        break;
      case "approval.decided":
        this.approvalDecided(event, send);
        break;
      case "run.waiting":
        // The client must answer the approval; its answer continues the message in a new request.
        if (this.awaitingApproval > 0 && emit) this.finish(send);
        break;
      case "run.ended":
        this.closeText(send);
        if (event.status !== "completed") {
          const message = event.error?.message ?? `the run was ${event.status}`;
          send({ type: "error", errorText: message });
        }
        if (emit) this.finish(send, event.status === "completed" ? "stop" : "error");
        break;
    }
    return out;
  }

  private openStep(send: (c: UIMessageChunk) => void): void {
    if (this.stepOpen) return;
    // Tool calls of the previous step that never ran (invalid arguments) are closed first.
    for (const call of this.pending.splice(0).filter((c) => c.approvalId === undefined))
      send({ type: "tool-output-error", toolCallId: call.toolCallId, errorText: "the call was not run" });
    this.stepOpen = true;
    send({ type: "start-step" });
  }

  private progress(event: StreamEvent, send: (c: UIMessageChunk) => void): void {
    const stepId = event.stepId!;
    const source = `${String(event.data.epoch)}.${String(event.data.attempt)}`;
    const parts = (event.data.parts as { type?: string; text?: string }[] | undefined) ?? [];
    for (const part of parts) {
      if (part.type !== "text-delta" || typeof part.text !== "string") continue;
      this.openStep(send);
      if (this.text?.stepId !== stepId || this.text.source !== source) {
        this.closeText(send);
        this.text = { id: `${stepId}:${source}`, stepId, source };
        send({ type: "text-start", id: this.text.id });
      }
      this.streamed.add(stepId);
      send({ type: "text-delta", id: this.text.id, delta: part.text });
    }
  }

  private modelEnded(event: StreamEvent, send: (c: UIMessageChunk) => void): void {
    const stepId = event.stepId!;
    const turn = modelTurnOf(event.output);
    this.openStep(send);
    if (turn && turn.text !== "" && !this.streamed.has(stepId)) {
      // Nothing was streamed (a replayed step, or tokens that could not be stored): the whole text.
      const id = `${stepId}:final`;
      send({ type: "text-start", id });
      send({ type: "text-delta", id, delta: turn.text });
      send({ type: "text-end", id });
    }
    this.closeText(send);
    for (const call of turn?.toolCalls ?? []) {
      this.pending.push({ toolCallId: call.id, toolName: call.name });
      send({ type: "tool-input-available", toolCallId: call.id, toolName: call.name, input: call.input });
    }
    if (!turn || turn.toolCalls.length === 0) this.closeStep(send);
  }

  private toolEnded(event: StreamEvent, send: (c: UIMessageChunk) => void): void {
    const name = TOOL_STEP.exec(event.stepId!)![1]!;
    const call = this.take(name);
    if (!call) return;
    if (event.data.status === "completed") {
      send({ type: "tool-output-available", toolCallId: call.toolCallId, output: event.output ?? null });
    } else {
      const error = event.data.error as { message?: string } | undefined;
      send({
        type: "tool-output-error",
        toolCallId: call.toolCallId,
        errorText: error?.message ?? "the tool failed",
      });
    }
    if (this.pending.length === 0) this.closeStep(send);
  }

  private approvalRequested(event: StreamEvent, send: (c: UIMessageChunk) => void): void {
    const match = APPROVAL_STEP.exec(event.stepId ?? "");
    const approvalId = event.data.approvalId as string | undefined;
    if (!match || approvalId === undefined) return;
    const call = this.pending.find((c) => c.toolName === match[1] && c.approvalId === undefined);
    if (!call) return;
    call.approvalId = approvalId;
    this.awaitingApproval++;
    send({ type: "tool-approval-request", approvalId, toolCallId: call.toolCallId });
  }

  private approvalDecided(event: StreamEvent, send: (c: UIMessageChunk) => void): void {
    const approvalId = event.data.approvalId as string | undefined;
    const call = this.pending.find((c) => c.approvalId === approvalId);
    if (!call) return;
    this.awaitingApproval--;
    const status = event.data.status as string;
    if (status === "approved") return; // the tool step follows
    this.pending.splice(this.pending.indexOf(call), 1);
    if (status === "rejected") send({ type: "tool-output-denied", toolCallId: call.toolCallId });
    else
      send({ type: "tool-output-error", toolCallId: call.toolCallId, errorText: `the approval ${status}` });
    if (this.pending.length === 0) this.closeStep(send);
  }

  /** The first pending call of this tool that is not held by an undecided approval. */
  private take(name: string): PendingCall | undefined {
    const i = this.pending.findIndex((c) => c.toolName === name);
    return i < 0 ? undefined : this.pending.splice(i, 1)[0];
  }

  private closeText(send: (c: UIMessageChunk) => void): void {
    if (!this.text) return;
    send({ type: "text-end", id: this.text.id });
    this.text = undefined;
  }

  private closeStep(send: (c: UIMessageChunk) => void): void {
    if (!this.stepOpen) return;
    this.stepOpen = false;
    send({ type: "finish-step" });
  }

  private finish(send: (c: UIMessageChunk) => void, reason: "stop" | "error" | "other" = "other"): void {
    this.closeText(send);
    this.closeStep(send);
    send({ type: "finish", finishReason: reason });
    this.done = true;
  }
}

/**
 * Drops the tokens of attempts a later attempt of the same step superseded (a retry, or a run
 * taken over by another worker), so a replayed answer shows each step's text once.
 */
export function dropSuperseded(events: StreamEvent[]): StreamEvent[] {
  const latest = new Map<string, string>();
  const retriedAfter = new Set<string>();
  for (const e of events) {
    if (e.type === "step.progress" && e.stepId) {
      latest.set(e.stepId, `${String(e.data.epoch)}.${String(e.data.attempt)}`);
      retriedAfter.delete(e.stepId);
    } else if (e.type === "step.retrying" && e.stepId) retriedAfter.add(e.stepId);
  }
  return events.filter(
    (e) =>
      e.type !== "step.progress" ||
      (e.stepId !== null &&
        !retriedAfter.has(e.stepId) &&
        latest.get(e.stepId) === `${String(e.data.epoch)}.${String(e.data.attempt)}`),
  );
}
