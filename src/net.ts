// Listening on configured host:port endpoints, with errors that name the endpoint.
import type { Server } from "node:http";

/** host:port → listen arguments; a bare :port means all interfaces. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const at = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, at).replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { host, port: Number(endpoint.slice(at + 1)) };
}

/** Listen, turning "address in use" into an error naming what and where; resolves the bound address. */
export function listen(
  server: Server,
  endpoint: string,
  what: string,
): Promise<{ host: string; port: number }> {
  const { host, port } = parseEndpoint(endpoint);
  return new Promise((resolveListen, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const reason = err.code === "EADDRINUSE" ? "address already in use" : err.message;
      reject(new Error(`cannot listen for ${what} on ${endpoint}: ${reason}`));
    };
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      const address = server.address();
      resolveListen(
        typeof address === "object" && address
          ? { host: address.address, port: address.port }
          : { host, port },
      );
    });
  });
}
