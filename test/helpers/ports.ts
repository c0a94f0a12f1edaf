/**
 * Free loopback ports for tests: the operating system picks one, we close it and hand it on.
 * (bind.ts keeps its own, which also needs the UDP port free.)
 */
import { once } from "node:events";
import { createServer, type AddressInfo } from "node:net";
import { LOCAL_PORT_NAMES, type LocalPortName } from "../../stacks/schema.ts";

export async function freePort(host = "127.0.0.1"): Promise<number> {
  const server = createServer().listen(0, host);
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A free port for every port the local runner binds, so a stack started by a test never meets
 * a running `npm start` (whose ports are the schema's defaults).
 */
export async function freeRunnerPorts(host = "127.0.0.1"): Promise<Record<LocalPortName, number>> {
  const ports = {} as Record<LocalPortName, number>;
  for (const name of LOCAL_PORT_NAMES) ports[name] = await freePort(host);
  return ports;
}
