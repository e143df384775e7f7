-- wrk script for scripts/bench-submit: each request submits a different prepared victim's questionnaire.
-- Reads "cookie csrf" lines from the file named by SV_SUBMIT_FILE; each wrk thread takes every Nth line.
local lines = {}
local index = 0
local stride = 1

function setup(thread)
  thread:set("id", #threads_seen + 1)
  table.insert(threads_seen, thread)
end
threads_seen = {}

function init(args)
  stride = tonumber(os.getenv("SV_WRK_THREADS") or "2")
  for line in io.lines(os.getenv("SV_SUBMIT_FILE")) do
    table.insert(lines, line)
  end
  index = id or 1
end

function request()
  local line = lines[((index - 1) % #lines) + 1]
  index = index + stride
  local cookie, csrf = line:match("^(%S+) (%S+)$")
  return wrk.format("POST", "/questionnaire/submit", {
    ["Cookie"] = "sv_q=" .. cookie,
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "csrf_token=" .. csrf)
end

responses = {}
function response(status, headers, body)
  responses[status] = (responses[status] or 0) + 1
end
