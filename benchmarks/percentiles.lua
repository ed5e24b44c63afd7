-- wrk reporter: throughput, p50/p95/p99 latency and errors, one figure a line.
done = function(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format("requests: %d in %.1f s = %.1f requests/s\n",
    summary.requests, seconds, summary.requests / seconds))
  for _, p in ipairs({50, 95, 99}) do
    io.write(string.format("p%d: %.0f ms\n", p, latency:percentile(p) / 1000))
  end
  local e = summary.errors
  io.write(string.format("errors: %d (non-2xx/3xx %d, connect %d, read %d, write %d, timeout %d)\n",
    e.status + e.connect + e.read + e.write + e.timeout, e.status, e.connect, e.read, e.write,
    e.timeout))
end
