/**
 * Whether a request's Host header names this machine's loopback (`localhost`, `127.x.x.x`,
 * `[::1]`, `*.localhost`, with or without a port). An open server answers only those: a web page
 * whose own name an attacker points at 127.0.0.1 (DNS rebinding) reaches the loopback server
 * from the user's browser, but its requests carry the attacker's name as their Host.
 */
export function isLoopbackHost(host: string | undefined): boolean {
  // No Host at all: not a browser (every browser sends one).
  if (host === undefined || host === "") return true;
  const name = (host.startsWith("[") ? host.slice(0, host.indexOf("]") + 1) : host.replace(/:\d*$/, ""))
    .toLowerCase()
    .replace(/\.$/, "");
  return (
    name === "localhost" ||
    name.endsWith(".localhost") ||
    name === "[::1]" ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name)
  );
}
