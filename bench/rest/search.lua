-- wrk script: GET /api/search with the queries of bench/mcp/queries.jsonl in
-- turn (each connection starts at its own line), with the bearer token in
-- the environment variable DOCRUNCH_BENCH_TOKEN.
local queries = {}
local token = os.getenv("DOCRUNCH_BENCH_TOKEN")
local api = os.getenv("DOCRUNCH_BENCH_API_PATH") or "/api"

local function encode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

for line in io.lines(os.getenv("DOCRUNCH_BENCH_QUERIES")) do
  local q = line:match('"query"%s*:%s*"(.-)"')
  if q then queries[#queries + 1] = api .. "/search?limit=10&q=" .. encode(q) end
end

local counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

local i = 0
function request()
  i = i + 1
  local path = queries[(i + offset * 7) % #queries + 1]
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end
