// The Lua scripts of RedisQueue (redis_queue.h). Each runs atomically in
// Redis, so a job is never half-moved between the stream, the delayed set,
// the dead letters and the idempotency keys, whichever worker dies when.
// Every script gets the same four keys of one queue:
//   KEYS[1] the stream, KEYS[2] the idempotency keys (hash key -> stream id),
//   KEYS[3] the delayed retries (sorted set by due time, Redis clock, ms),
//   KEYS[4] the dead letters (a stream).
#pragma once

#include <string>

namespace docrunch::jobs::redis_scripts {

// ARGV: type, payload, key, repeated for each job enqueued together. For
// each, in order: the stream id of the new job, or of the job already
// waiting or taken with that key (also one earlier in the same batch).
extern const std::string kEnqueue;

// ARGV: consumer, visibility (ms), max, max_deliveries. Moves due retries
// back into the stream, reclaims messages idle past the visibility timeout
// (dead-lettering those delivered too often), then reads new ones without
// blocking. Replies {ms until the next delayed retry is due or -1,
// {{id, type, payload, key, deliveries}...}}.
extern const std::string kTakeDue;

// ARGV: id, deliveries (the taker's), repeated for each job acknowledged
// together. How many of them were taken, with that delivery count, and are
// now gone (the others were gone already, or taken over by another worker
// since).
extern const std::string kAck;

// ARGV: id, error, max_deliveries, retry_delay (ms), deliveries (the
// taker's). 1: delayed for a retry, 2: dead-lettered, 0: the job was not
// taken, or not with that delivery count (a late report).
extern const std::string kFail;

// No ARGV. {waiting, taken, dead}.
extern const std::string kCounts;

// ARGV: status ("" for all), limit. {{id, type, status, deliveries, key,
// error}...}: the stream's waiting and taken jobs, then the delayed
// retries (as waiting), then the dead letters, each oldest first.
extern const std::string kList;

// ARGV: idle (ms). Deletes the group's consumers that have nothing pending
// and have not read for longer than that (workers that exited or were
// killed: each process reads as "host:pid", so a restarted worker is a new
// consumer). Replies how many it deleted.
extern const std::string kForgetConsumers;

}  // namespace docrunch::jobs::redis_scripts
