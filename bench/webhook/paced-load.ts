// An open-loop load at a steady rate, as an API server sends reviews: request i is due at
// start + i / rate whether or not earlier ones were answered, and its latency counts from when it
// was due, so time spent waiting for a free connection is measured rather than hidden (the
// coordinated omission of a closed loop). autocannon's `overallRate` cannot stand in for it: it
// sends each second's quota in a burst at the start of the second, and then corrects for
// coordinated omission by recording made-up samples at 1 ms intervals, so its percentiles at a
// rate describe the burst, not the webhook.
import { Pool } from 'undici';

export interface PacedLoadOptions {
  readonly url: string;
  readonly path: string;
  /** Requests per second, spread evenly over each millisecond. */
  readonly rate: number;
  readonly seconds: number;
  /** Keep-alive connections the requests share (an API server keeps a few per webhook). */
  readonly connections: number;
  readonly body: () => string;
}

export interface PacedLoad {
  /** Requests answered per second of the run. */
  readonly rps: number;
  readonly total: number;
  /** Latency from when each request was due, in milliseconds. */
  readonly p50: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
  readonly errors: number;
  readonly non2xx: number;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<PacedLoad> {
  // The targets present self-signed certificates; the benchmark measures, it does not authenticate.
  const pool = new Pool(options.url, { connections: options.connections, pipelining: 1, connect: { rejectUnauthorized: false } });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  const pending = new Set<Promise<void>>();
  const post = () => pool.request({ path: options.path, method: 'POST', headers: { 'content-type': 'application/json' }, body: options.body() });
  const send = (due: number): void => {
    const sent = post()
      .then(async (response) => {
        await response.body.dump();
        if (response.statusCode < 200 || response.statusCode >= 300) non2xx += 1;
        latencies.push(performance.now() - due);
      })
      .catch(() => {
        errors += 1;
      })
      .finally(() => pending.delete(sent));
    pending.add(sent);
  };

  // Every connection open before the clock starts: a TLS handshake is not what is measured.
  const warming = Array.from({ length: options.connections }, () => post().then((response) => response.body.dump()));
  await Promise.all(warming);

  const start = performance.now();
  const total = Math.round(options.rate * options.seconds);
  const interval = 1000 / options.rate;
  let issued = 0;
  await new Promise<void>((resolve) => {
    // Every millisecond (as well as timers allow), send whatever has fallen due, each stamped with
    // its own due time: a late tick sends late requests, and their latency says so.
    const tick = (): void => {
      const now = performance.now();
      while (issued < total && start + issued * interval <= now) send(start + issued++ * interval);
      if (issued < total) setTimeout(tick, 1);
      else resolve();
    };
    tick();
  });
  await Promise.all(pending);
  const elapsedMs = performance.now() - start;
  await pool.close();

  latencies.sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { rps: (latencies.length / elapsedMs) * 1000, total: latencies.length, p50: at(0.5), p99: at(0.99), p999: at(0.999), max: latencies.at(-1) ?? NaN, errors, non2xx };
}
