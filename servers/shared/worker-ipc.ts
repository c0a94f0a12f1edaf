/**
 * Requests from a worker process to its cluster primary over the IPC channel node:cluster
 * opens, for state every worker must share (connection counts, login failures).
 *
 * A worker sends `{ type: "worker-request", id, name, body }` and the primary answers
 * `{ type: "worker-reply", id, result }`; a notice (`id` absent) gets no answer. The primary
 * side is a table of handlers by name, called with the worker that asked.
 */
import type { Worker } from "node:cluster";

interface RequestMessage {
  readonly type: "worker-request";
  readonly id?: number;
  readonly name: string;
  readonly body: unknown;
}

interface ReplyMessage {
  readonly type: "worker-reply";
  readonly id: number;
  readonly result: unknown;
}

function isMessage<T extends { type: string }>(message: unknown, type: T["type"]): message is T {
  return (
    typeof message === "object" && message !== null && (message as { type?: unknown }).type === type
  );
}

/** The worker's side: asks the primary and waits for its answer. */
export class PrimaryChannel {
  readonly #pending = new Map<number, (result: unknown) => void>();
  #nextId = 1;

  /** `fallback` answers every pending and later request once the channel is gone (shutdown). */
  constructor(private readonly fallback: (name: string) => unknown) {
    process.on("message", (message: unknown) => {
      if (!isMessage<ReplyMessage>(message, "worker-reply")) return;
      const resolve = this.#pending.get(message.id);
      this.#pending.delete(message.id);
      resolve?.(message.result);
    });
    process.once("disconnect", () => {
      for (const resolve of this.#pending.values()) resolve(undefined);
      this.#pending.clear();
    });
  }

  request<T>(name: string, body: unknown): Promise<T> {
    if (!process.connected) return Promise.resolve(this.fallback(name) as T);
    const id = this.#nextId++;
    return new Promise<T>((resolve) => {
      this.#pending.set(id, (result) =>
        resolve((result === undefined ? this.fallback(name) : result) as T),
      );
      process.send?.({ type: "worker-request", id, name, body } satisfies RequestMessage);
    });
  }

  notify(name: string, body: unknown): void {
    if (process.connected) {
      process.send?.({ type: "worker-request", name, body } satisfies RequestMessage);
    }
  }
}

/** A primary-side handler: the worker that asked and the request's body; returns the answer. */
export type PrimaryHandler = (worker: Worker, body: unknown) => unknown;

/** The primary's side: `onMessage` for startWorkers, answering with the handler of each name. */
export function primaryHandlers(
  handlers: Readonly<Record<string, PrimaryHandler>>,
): (worker: Worker, message: unknown) => void {
  return (worker, message) => {
    if (!isMessage<RequestMessage>(message, "worker-request")) return;
    const handler = handlers[message.name];
    if (!handler) return;
    const result = handler(worker, message.body);
    if (message.id !== undefined && worker.isConnected()) {
      worker.send({ type: "worker-reply", id: message.id, result } satisfies ReplyMessage);
    }
  };
}
