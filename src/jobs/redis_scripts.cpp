#include "jobs/redis_scripts.h"

namespace docrunch::jobs::redis_scripts {

namespace {

// Shared by the scripts (prepended to each).
const std::string kHelpers = R"lua(
local stream, keys, delayed, dead = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local group = 'workers'

local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function fields_of(list)
  local f = {}
  for i = 1, #list, 2 do f[list[i]] = list[i + 1] end
  return f
end

-- The key leaves the hash only if it still names this message.
local function forget_key(key, id)
  if key ~= nil and key ~= '' and redis.call('HGET', keys, key) == id then
    redis.call('HDEL', keys, key)
  end
end

local function dead_letter(id, f, deliveries, reason)
  redis.call('XADD', dead, '*', 'id', id, 'type', f.type or '', 'payload', f.payload or '',
             'key', f.key or '', 'deliveries', deliveries, 'error', reason,
             'dead_at', now_ms())
  forget_key(f.key, id)
end
)lua";

}  // namespace

const std::string kEnqueue = kHelpers + R"lua(
local function enqueue(type_, payload, key)
  if key ~= '' then
    local first = redis.call('HGET', keys, key)
    if first then return first end
  end
  local id = redis.call('XADD', stream, '*', 'type', type_, 'payload', payload, 'key', key,
                        'deliveries', 0)
  if key ~= '' then redis.call('HSET', keys, key, id) end
  return id
end
local ids = {}
for i = 1, #ARGV - 2, 3 do ids[#ids + 1] = enqueue(ARGV[i], ARGV[i + 1], ARGV[i + 2]) end
return ids
)lua";

const std::string kTakeDue = kHelpers + R"lua(
local consumer, visibility = ARGV[1], ARGV[2]
local max, max_deliveries = tonumber(ARGV[3]), tonumber(ARGV[4])
local now = now_ms()

-- Retries whose delay passed go back into the stream. A stream's ids only
-- grow, so the job gets a new one; its key follows it.
for _, member in ipairs(redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, 100)) do
  local job = cmsgpack.unpack(member)  -- {id, type, payload, key, deliveries, error}
  local id = redis.call('XADD', stream, '*', 'type', job[2], 'payload', job[3], 'key', job[4],
                        'deliveries', job[5], 'error', job[6])
  if job[4] ~= '' and redis.call('HGET', keys, job[4]) == job[1] then
    redis.call('HSET', keys, job[4], id)
  end
  redis.call('ZREM', delayed, member)
end

local taken = {}
-- Messages whose worker let the visibility timeout pass (it died or
-- hangs). XAUTOCLAIM counts the delivery; past max_deliveries the message
-- is a dead letter instead. Bounded: a Take never scans the whole backlog.
local cursor = '0-0'
for _ = 1, 10 do
  local claim = redis.call('XAUTOCLAIM', stream, group, consumer, visibility, cursor,
                           'COUNT', max - #taken)
  cursor = claim[1]
  for _, entry in ipairs(claim[2]) do
    local id, f = entry[1], fields_of(entry[2])
    local count = redis.call('XPENDING', stream, group, id, id, 1)[1][4]
    local deliveries = (tonumber(f.deliveries) or 0) + count
    if deliveries > max_deliveries then
      local reason = f.error
      if reason == nil or reason == '' then
        reason = 'taken ' .. (deliveries - 1) .. ' times without an acknowledgement'
      end
      dead_letter(id, f, deliveries - 1, reason)
      redis.call('XACK', stream, group, id)
      redis.call('XDEL', stream, id)
    else
      taken[#taken + 1] = {id, f.type or '', f.payload or '', f.key or '', deliveries}
    end
  end
  if cursor == '0-0' or #taken >= max then break end
end

if #taken < max then
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', max - #taken,
                          'STREAMS', stream, '>')
  if read then
    for _, entry in ipairs(read[1][2]) do
      local f = fields_of(entry[2])
      taken[#taken + 1] = {entry[1], f.type or '', f.payload or '', f.key or '',
                           (tonumber(f.deliveries) or 0) + 1}
    end
  end
end

local next_due = -1
local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
if #first > 0 then next_due = math.max(0, tonumber(first[2]) - now) end
return {next_due, taken}
)lua";

const std::string kAck = kHelpers + R"lua(
local function ack(id, deliveries)
  local pending = redis.call('XPENDING', stream, group, id, id, 1)
  if #pending == 0 then return 0 end
  local entry = redis.call('XRANGE', stream, id, id)
  if #entry > 0 then
    local f = fields_of(entry[1][2])
    -- A late Ack (another worker took the job over since): not this one's.
    if (tonumber(f.deliveries) or 0) + pending[1][4] ~= deliveries then return 0 end
    forget_key(f.key, id)
  end
  redis.call('XACK', stream, group, id)
  redis.call('XDEL', stream, id)
  return 1
end
local acked = 0
for i = 1, #ARGV - 1, 2 do acked = acked + ack(ARGV[i], tonumber(ARGV[i + 1])) end
return acked
)lua";

const std::string kFail = kHelpers + R"lua(
local id, error_text = ARGV[1], ARGV[2]
local max_deliveries, retry_delay = tonumber(ARGV[3]), tonumber(ARGV[4])
local pending = redis.call('XPENDING', stream, group, id, id, 1)
if #pending == 0 then return 0 end
local entry = redis.call('XRANGE', stream, id, id)
if #entry == 0 then
  redis.call('XACK', stream, group, id)
  return 0
end
local f = fields_of(entry[1][2])
local deliveries = (tonumber(f.deliveries) or 0) + pending[1][4]
-- A late report (another worker took the job over since): not this one's.
if deliveries ~= tonumber(ARGV[5]) then return 0 end
redis.call('XACK', stream, group, id)
redis.call('XDEL', stream, id)
if deliveries >= max_deliveries then
  dead_letter(id, f, deliveries, error_text)
  return 2
end
-- Streams cannot hold a message back: it waits in the sorted set, scored
-- by when it is due, until a Take moves it back.
local delay = retry_delay * 2 ^ math.min(deliveries - 1, 16)
redis.call('ZADD', delayed, now_ms() + delay,
           cmsgpack.pack({id, f.type or '', f.payload or '', f.key or '', deliveries, error_text}))
return 1
)lua";

const std::string kCounts = kHelpers + R"lua(
local pending = 0
local summary = redis.pcall('XPENDING', stream, group)
if type(summary) == 'table' and summary.err == nil then pending = summary[1] end
-- Acknowledged and failed messages are deleted, so the stream holds
-- exactly the waiting and the taken ones.
return {redis.call('XLEN', stream) - pending + redis.call('ZCARD', delayed), pending,
        redis.call('XLEN', dead)}
)lua";

const std::string kList = kHelpers + R"lua(
local want, limit = ARGV[1], tonumber(ARGV[2])
local out = {}
if want == '' or want == 'waiting' or want == 'taken' then
  local taken = {}
  local p = redis.pcall('XPENDING', stream, group, '-', '+', limit + 1000)
  if type(p) == 'table' and p.err == nil then
    for _, e in ipairs(p) do taken[e[1]] = e[4] end
  end
  for _, entry in ipairs(redis.call('XRANGE', stream, '-', '+', 'COUNT', limit)) do
    local f, count = fields_of(entry[2]), taken[entry[1]]
    local status = count and 'taken' or 'waiting'
    if want == '' or want == status then
      out[#out + 1] = {entry[1], f.type or '', status, (tonumber(f.deliveries) or 0) + (count or 0),
                       f.key or '', f.error or ''}
    end
  end
end
if want == '' or want == 'waiting' then
  for _, member in ipairs(redis.call('ZRANGE', delayed, 0, limit - 1)) do
    local job = cmsgpack.unpack(member)  -- {id, type, payload, key, deliveries, error}
    out[#out + 1] = {job[1], job[2], 'waiting', job[5], job[4], job[6]}
  end
end
if want == '' or want == 'dead' then
  for _, entry in ipairs(redis.call('XRANGE', dead, '-', '+', 'COUNT', limit)) do
    local f = fields_of(entry[2])
    out[#out + 1] = {f.id or entry[1], f.type or '', 'dead', tonumber(f.deliveries) or 0,
                     f.key or '', f.error or ''}
  end
end
return out
)lua";

const std::string kForgetConsumers = kHelpers + R"lua(
local idle_ms = tonumber(ARGV[1])
local forgotten = 0
for _, info in ipairs(redis.call('XINFO', 'CONSUMERS', stream, group)) do
  local c = fields_of(info)
  -- Only a consumer with nothing pending: deleting one with pending
  -- messages would drop them from the group unacknowledged.
  if tonumber(c.pending) == 0 and tonumber(c.idle) > idle_ms then
    redis.call('XGROUP', 'DELCONSUMER', stream, group, c.name)
    forgotten = forgotten + 1
  end
end
return forgotten
)lua";

}  // namespace docrunch::jobs::redis_scripts
