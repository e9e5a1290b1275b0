"""Lua scripts for the Redis history store: each write is one atomic script.

Keys (``P`` is the prefix, ``tandem:`` by default)::

    P schema                      schema version (string)
    P workspaces                  set of workspace ids
    P ws:<id>                     hash: id path remote remote_key created active
    P ws:<id>:sessions            set of session ids
    P remote:<remote_key>         set of workspace ids
    P session:<id>                hash: id workspace_id title created updated archived
    P session:<id>:seq            counter: the last seq handed out (INCR)
    P session:<id>:messages       sorted set: message id by seq
    P session:<id>:contexts       sorted set: ids of messages with a context record, by seq
    P session:<id>:summary        hash: up_to_seq text updated
    P msg:<id>                    hash: id session_id seq role content created status
                                  [model usage turn_id error]
    P ctx:<message id>            hash: manifest created
    P ctx:<message id>:files      hash: path -> snapshot hash
    P snap:<hash>                 string: the snapshot text
    P snap:<hash>:refs            set of message ids whose context names the snapshot

Scripts that follow references build some key names from the prefix, so they need
a standalone Redis (or one Cluster slot), not a sharded Cluster.

Every script takes the key prefix as ``ARGV[1]``. Failures are error replies
starting with ``TANDEM_NOT_FOUND`` or ``TANDEM_INVALID``.
"""

from __future__ import annotations

NAMES = (
    "ENSURE_WORKSPACE",
    "CREATE_SESSION",
    "SET_IF_EXISTS",
    "APPEND_MESSAGE",
    "UPDATE_MESSAGE",
    "MESSAGES",
    "RECORD_CONTEXT",
    "SET_SUMMARY",
    "ARCHIVE_WORKSPACE",
    "DELETE_WORKSPACE",
    "SEARCH_CANDIDATES",
)

NOT_FOUND = "TANDEM_NOT_FOUND"
INVALID = "TANDEM_INVALID"

ENSURE_WORKSPACE = """
-- KEYS: ws, workspaces  ARGV: prefix, id, path, created, remote ('' keeps), remote_key
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'id', ARGV[2], 'path', ARGV[3], 'created', ARGV[4])
  redis.call('SADD', KEYS[2], ARGV[2])
end
if ARGV[5] ~= '' then
  local old = redis.call('HGET', KEYS[1], 'remote_key')
  if old then redis.call('SREM', ARGV[1] .. 'remote:' .. old, ARGV[2]) end
  redis.call('HSET', KEYS[1], 'remote', ARGV[5], 'remote_key', ARGV[6])
  redis.call('SADD', ARGV[1] .. 'remote:' .. ARGV[6], ARGV[2])
end
return redis.call('HGETALL', KEYS[1])
"""

CREATE_SESSION = """
-- KEYS: ws, ws sessions, session  ARGV: prefix, session id, field/value pairs...
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown workspace')
end
redis.call('HSET', KEYS[3], unpack(ARGV, 3))
redis.call('SADD', KEYS[2], ARGV[2])
return 1
"""

SET_IF_EXISTS = """
-- KEYS: hash  ARGV: prefix, what (for the error), field/value pairs...
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown ' .. ARGV[2])
end
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
return redis.call('HGETALL', KEYS[1])
"""

APPEND_MESSAGE = """
-- KEYS: session, seq counter, messages zset, msg
-- ARGV: prefix, message id, session id, updated, field/value pairs...
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown session')
end
local owner = redis.call('HGET', KEYS[4], 'session_id')
if owner then
  if owner ~= ARGV[3] then
    return redis.error_reply('TANDEM_INVALID message id is already used in another session')
  end
  return redis.call('HGETALL', KEYS[4])
end
local seq = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[4], 'seq', seq, unpack(ARGV, 5))
redis.call('ZADD', KEYS[3], seq, ARGV[2])
redis.call('HSET', KEYS[1], 'updated', ARGV[4])
return redis.call('HGETALL', KEYS[4])
"""

UPDATE_MESSAGE = """
-- KEYS: msg  ARGV: prefix, updated, field/value pairs...
local sid = redis.call('HGET', KEYS[1], 'session_id')
if not sid then return redis.error_reply('TANDEM_NOT_FOUND unknown message') end
if #ARGV > 2 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 3))
  redis.call('HSET', ARGV[1] .. 'session:' .. sid, 'updated', ARGV[2])
end
return redis.call('HGETALL', KEYS[1])
"""

MESSAGES = """
-- KEYS: session, messages zset  ARGV: prefix, after seq
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown session')
end
local out = {}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. ARGV[2], '+inf')) do
  out[#out + 1] = redis.call('HGETALL', ARGV[1] .. 'msg:' .. id)
end
return out
"""

RECORD_CONTEXT = """
-- KEYS: msg, ctx, ctx files  ARGV: prefix, manifest, created, path/hash pairs...
local sid = redis.call('HGET', KEYS[1], 'session_id')
if not sid then return redis.error_reply('TANDEM_NOT_FOUND unknown message') end
local mid = redis.call('HGET', KEYS[1], 'id')
local seq = redis.call('HGET', KEYS[1], 'seq')
for _, digest in ipairs(redis.call('HVALS', KEYS[3])) do
  redis.call('SREM', ARGV[1] .. 'snap:' .. digest .. ':refs', mid)
end
redis.call('DEL', KEYS[3])
redis.call('HSETNX', KEYS[2], 'created', ARGV[3])
redis.call('HSET', KEYS[2], 'manifest', ARGV[2])
for i = 4, #ARGV, 2 do
  redis.call('HSET', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('SADD', ARGV[1] .. 'snap:' .. ARGV[i + 1] .. ':refs', mid)
end
redis.call('ZADD', ARGV[1] .. 'session:' .. sid .. ':contexts', seq, mid)
return 1
"""

SET_SUMMARY = """
-- KEYS: session, seq counter, summary  ARGV: prefix, up_to_seq, text, updated
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown session')
end
local last = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[2]) > last then
  return redis.error_reply('TANDEM_INVALID up_to_seq ' .. ARGV[2]
    .. " is past the session's last message (" .. last .. ')')
end
redis.call('HSET', KEYS[3], 'up_to_seq', ARGV[2], 'text', ARGV[3], 'updated', ARGV[4])
return 1
"""

ARCHIVE_WORKSPACE = """
-- KEYS: ws, ws sessions  ARGV: prefix
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown workspace')
end
local count = 0
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[2])) do
  local key = ARGV[1] .. 'session:' .. sid
  if redis.call('HGET', key, 'archived') == '0' then
    redis.call('HSET', key, 'archived', '1')
    count = count + 1
  end
end
redis.call('HDEL', KEYS[1], 'active')
return count
"""

DELETE_WORKSPACE = """
-- KEYS: ws, ws sessions  ARGV: prefix
local p = ARGV[1]
if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('TANDEM_NOT_FOUND unknown workspace')
end
local sessions = redis.call('SMEMBERS', KEYS[2])
for _, sid in ipairs(sessions) do
  local skey = p .. 'session:' .. sid
  for _, mid in ipairs(redis.call('ZRANGE', skey .. ':messages', 0, -1)) do
    local files = p .. 'ctx:' .. mid .. ':files'
    for _, digest in ipairs(redis.call('HVALS', files)) do
      local refs = p .. 'snap:' .. digest .. ':refs'
      redis.call('SREM', refs, mid)
      if redis.call('SCARD', refs) == 0 then redis.call('DEL', refs, p .. 'snap:' .. digest) end
    end
    redis.call('DEL', files, p .. 'ctx:' .. mid, p .. 'msg:' .. mid)
  end
  redis.call('DEL', skey, skey .. ':seq', skey .. ':messages', skey .. ':contexts',
    skey .. ':summary')
end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], 'active')
return #sessions
"""

SEARCH_CANDIDATES = """
-- ARGV: prefix, session count n, n session ids, folded query terms...
-- Returns the messages that may match: every ASCII message holding each term as a
-- substring (ignoring ASCII case), and every non-ASCII message (Lua cannot fold
-- those; the caller applies the exact rule to all candidates).
local p, n = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 3, n + 2 do
  for _, id in ipairs(redis.call('ZRANGE', p .. 'session:' .. ARGV[i] .. ':messages', 0, -1)) do
    local key = p .. 'msg:' .. id
    local content = redis.call('HGET', key, 'content') or ''
    local keep = string.find(content, '[\\128-\\255]') ~= nil
    if not keep then
      local lowered = string.lower(content)
      keep = true
      for t = n + 3, #ARGV do
        if not string.find(lowered, ARGV[t], 1, true) then keep = false; break end
      end
    end
    if keep then out[#out + 1] = redis.call('HGETALL', key) end
  end
end
return out
"""
