// The subscribers of the server benchmark's latency section, in their own process (as browsers
// would be, not sharing the server's event loop): opens N streams of one run over plain
// node:http, notes when each step.ended arrives (ms since the epoch, sub-ms), and prints them as
// JSON once every stream has ended. Kept light so it measures the server, not itself.
import http from "node:http";

const [url, key, countText] = process.argv.slice(2);
const count = Number(countText);
const arrivals: { stepId: string; at: number }[] = [];
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

function one(): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.get(url!, { agent, headers: { authorization: `Bearer ${key}` } }, (res) => {
      if (res.statusCode !== 200) return reject(new Error(`stream: HTTP ${res.statusCode}`));
      res.setEncoding("utf8");
      let buffer = "";
      res.on("data", (chunk: string) => {
        const at = performance.timeOrigin + performance.now();
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf("\n\n")) >= 0) {
          const frame = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (!frame.startsWith("event: step.ended")) continue;
          const m = /"stepId":"([^"]+)"/.exec(frame);
          if (m) arrivals.push({ stepId: m[1]!, at });
        }
      });
      res.on("end", resolve);
      res.on("error", reject);
    });
    req.on("error", reject);
  });
}

const streams: Promise<void>[] = [];
for (let i = 0; i < count; i++) streams.push(one());
Promise.all(streams).then(
  () => {
    console.log(JSON.stringify(arrivals));
    agent.destroy();
  },
  (err: unknown) => {
    console.error(String(err));
    process.exitCode = 1;
  },
);
