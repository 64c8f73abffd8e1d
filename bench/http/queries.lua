-- wrk script: each request asks searchd a different query from a file.
--   wrk -t T -c C -d 10s -s queries.lua http://127.0.0.1:PORT -- FILE START T [PREFIX]
-- FILE holds URL-encoded queries, one a line.  Thread k of T sends lines
-- START+k, START+k+T, START+2T+k, ...: no query is asked twice by the run
-- until the file is exhausted (then it wraps).  START lets successive runs
-- use fresh queries, so none is answered from searchd's reply cache.
-- PREFIX defaults to "/api/search?limit=10&q=".
local next_id = 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end

function init(args)
  queries = {}
  for line in io.lines(args[1]) do
    queries[#queries + 1] = line
  end
  local start = tonumber(args[2] or "0")
  step = tonumber(args[3] or "1")
  prefix = args[4] or "/api/search?limit=10&q="
  counter = start + id
  if #queries == 0 then
    error("no queries in " .. args[1])
  end
end

function request()
  local q = queries[(counter % #queries) + 1]
  counter = counter + step
  return wrk.format("GET", prefix .. q)
end
