// Listening on configured host:port endpoints, with errors that name the endpoint.
import type { Server } from "node:http";
import type { Logger } from "pino";

/** host:port → listen arguments; a bare :port means all interfaces. */
export function parseEndpoint(endpoint: string): { host: string; port: number } {
  const at = endpoint.lastIndexOf(":");
  const host = endpoint.slice(0, at).replace(/^\[|\]$/g, "") || "0.0.0.0";
  return { host, port: Number(endpoint.slice(at + 1)) };
}

/** A host that listens on every interface: reachable from other machines. */
export function isAllInterfaces(host: string): boolean {
  return host === "" || host === "0.0.0.0" || host === "::" || host === "[::]";
}

/** Say so when a listener is reachable from other machines (`:4318` binds 0.0.0.0), naming the address. */
export function warnIfAllInterfaces(logger: Logger, what: string, endpoint: string, port: number): void {
  const host = endpoint.slice(0, endpoint.lastIndexOf(":")).replace(/^\[|\]$/g, "");
  if (!isAllInterfaces(host)) return;
  logger.warn(
    { endpoint, address: `${host === "::" ? "[::]" : "0.0.0.0"}:${port}` },
    `${what} listens on all interfaces (${endpoint}): reachable from other machines; use 127.0.0.1:${port} to keep it local`,
  );
}

/** Listen, turning "address in use" into an error naming what and where; resolves the bound address. */
export function listen(
  server: Server,
  endpoint: string,
  what: string,
  logger?: Logger,
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
      if (logger)
        warnIfAllInterfaces(
          logger,
          what,
          endpoint,
          typeof address === "object" && address ? address.port : port,
        );
      resolveListen(
        typeof address === "object" && address
          ? { host: address.address, port: address.port }
          : { host, port },
      );
    });
  });
}
