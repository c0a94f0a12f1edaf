/**
 * A stand-in for the outside world: an HTTPS server on loopback that records every request, so
 * a test can tell whether a message made the browser fetch anything or run anything.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:https";
import type { AddressInfo } from "node:net";

export interface Listener {
  readonly base: string;
  readonly requests: string[];
  close(): Promise<void>;
}

const GIF = Buffer.from("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7", "base64");

export async function startListener(tls: { certPath: string; keyPath: string }): Promise<Listener> {
  const requests: string[] = [];
  const server = createServer(
    { cert: await readFile(tls.certPath), key: await readFile(tls.keyPath) },
    (req, res) => {
      requests.push(req.url ?? "");
      res.writeHead(200, { "Content-Type": "image/gif", "Access-Control-Allow-Origin": "*" });
      res.end(GIF);
    },
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    base: `https://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
