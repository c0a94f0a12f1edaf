/** A logged-in API client for tests: the session cookie and CSRF token sent as a browser would. */
import assert from "node:assert/strict";
import { request } from "node:https";
import { fetchFrom, type HttpReply, type TestStack } from "./stack.ts";

export class ApiClient {
  private constructor(
    private readonly stack: TestStack,
    readonly cookie: string,
    readonly csrf: string,
  ) {}

  static async login(stack: TestStack, address: string): Promise<ApiClient> {
    const reply = await fetchFrom(stack, "/api/login", {
      method: "POST",
      headers: { "content-type": "application/json", origin: stack.origin },
      body: JSON.stringify({ address, password: stack.passwords[address] }),
    });
    assert.equal(reply.status, 200, reply.body.toString());
    const cookie = (reply.headers["set-cookie"]?.[0] ?? "").split(";")[0] ?? "";
    return new ApiClient(stack, cookie, reply.json<{ csrfToken: string }>().csrfToken);
  }

  get(path: string): Promise<HttpReply> {
    return fetchFrom(this.stack, path, { headers: { cookie: this.cookie } });
  }

  async getJson<T>(path: string): Promise<T> {
    const reply = await this.get(path);
    assert.equal(reply.status, 200, `${path}: ${reply.body.toString()}`);
    return reply.json<T>();
  }

  post(path: string, body: unknown): Promise<HttpReply> {
    return fetchFrom(this.stack, path, {
      method: "POST",
      headers: {
        cookie: this.cookie,
        "x-csrf-token": this.csrf,
        origin: this.stack.origin,
        "content-type": "application/json",
      },
      body: JSON.stringify(body),
    });
  }

  async postOk(path: string, body: unknown): Promise<HttpReply> {
    const reply = await this.post(path, body);
    assert.ok(reply.status < 300, `${path}: ${reply.status} ${reply.body.toString()}`);
    return reply;
  }

  /** Opens the event stream; `next(name)` resolves with the data of the next such event. */
  events(): Promise<EventStream> {
    return new Promise((resolve, reject) => {
      const req = request(
        `${this.stack.origin}/api/events`,
        { headers: { cookie: this.cookie }, ca: this.stack.ca, servername: "localhost" },
        (res) => {
          if (res.statusCode !== 200) {
            reject(new Error(`events: ${res.statusCode}`));
            return;
          }
          resolve(new EventStream(res, () => req.destroy()));
        },
      );
      req.on("error", reject);
      req.end();
    });
  }
}

export class EventStream {
  private buffer = "";
  private readonly seen: { name: string; data: unknown }[] = [];
  private waiter: (() => void) | undefined;

  constructor(
    stream: NodeJS.ReadableStream,
    readonly close: () => void,
  ) {
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      this.buffer += chunk;
      let end;
      while ((end = this.buffer.indexOf("\n\n")) >= 0) {
        const block = this.buffer.slice(0, end);
        this.buffer = this.buffer.slice(end + 2);
        const name = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (name !== undefined && data !== undefined) {
          this.seen.push({ name, data: JSON.parse(data) });
          this.waiter?.();
        }
      }
    });
  }

  async next<T>(name: string): Promise<T> {
    for (;;) {
      const index = this.seen.findIndex((e) => e.name === name);
      if (index >= 0) return this.seen.splice(index, 1)[0]?.data as T;
      await new Promise<void>((resolve) => (this.waiter = resolve));
    }
  }
}
