-- wrk script of scripts/bench-transport.sh: the fee call b2c makes (same method, headers
-- and body), and a machine-readable summary at the end.
wrk.method = "POST"
wrk.body = '{"account_login":"123456","request_id":"bench-1"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-access"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("wrk_requests=%d wrk_duration_us=%d wrk_errors=%d\n",
    summary.requests, summary.duration,
    e.connect + e.read + e.write + e.status + e.timeout))
end
