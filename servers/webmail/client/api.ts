/** The JSON API, with the CSRF token on every state-changing request. */
import type { MessageView as SentMessageView } from "../api-types.ts";

export type {
  Attachment,
  Folder,
  MessagePage,
  MessageSummary,
  SortKey,
  ThreadInfo,
} from "../api-types.ts";

/** A message as the reader holds it: the API adds its folder; flags change as the user acts. */
export type MessageView = Omit<SentMessageView, "flags"> & {
  readonly folder: string;
  flags: string[];
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken = "";

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

async function call<T>(method: "GET" | "POST", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (method === "POST") {
    headers["X-CSRF-Token"] = csrfToken;
    headers["Content-Type"] = "application/json";
  }
  const res = await fetch(path, {
    method,
    headers,
    credentials: "same-origin",
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  if (!res.ok) {
    const error = (await res.json().catch(() => ({}))) as {
      error?: { code: string; message: string };
    };
    throw new ApiError(
      res.status,
      error.error?.code ?? "HTTP",
      error.error?.message ?? `HTTP ${res.status}`,
    );
  }
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

export const api = {
  get: <T>(path: string) => call<T>("GET", path),
  post: <T = void>(path: string, body: unknown) => call<T>("POST", path, body),
};

export function query(params: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== "") search.set(key, String(value));
  }
  return search.toString();
}

/**
 * A POST whose upload reports progress (fetch cannot): for a message with attachments.
 * `onProgress` gets the share sent, 0 to 1.
 */
export function postWithProgress<T>(
  path: string,
  body: unknown,
  onProgress: (share: number) => void,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", path);
    xhr.setRequestHeader("Content-Type", "application/json");
    xhr.setRequestHeader("X-CSRF-Token", csrfToken);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onerror = () => reject(new ApiError(0, "NETWORK", "The server cannot be reached."));
    xhr.onload = () => {
      const response = xhr.response as { error?: { code: string; message: string } } | null;
      if (xhr.status >= 200 && xhr.status < 300) resolve(response as T);
      else {
        reject(
          new ApiError(
            xhr.status,
            response?.error?.code ?? "HTTP",
            response?.error?.message ?? `HTTP ${xhr.status}`,
          ),
        );
      }
    };
    xhr.send(JSON.stringify(body));
  });
}
