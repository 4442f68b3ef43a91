// Which outbox events (sync_events) are still pending, as SQL every reader
// shares.
//
// An event is processed when its processed_at is set, or when a range of
// sync_processed covers it: on SQLite the sync worker records each batch
// as one row per priority class, (first_id, last_id, processed_at), instead
// of writing every event's row. Its ranges tile each class from its first
// event on, so `id <= MAX(last_id)` of the event's repository and priority
// (the class's watermark) is processed. That is sound on SQLite only, where
// one writer at a time commits events in id order; a PostgreSQL
// transaction may commit an id below one already read, so the worker marks
// each event there (sync/worker.h).
//
// The events of a range keep processed_at NULL and stay in the partial
// index sync_events_pending (repository_id, priority DESC, id), which the
// claims and counts seek past the watermark: they read only what is
// pending, whatever the history.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "store/store.h"

namespace docrunch::store {

// A derived table of the pending events of one repository, whose id is the
// statement's parameter `repo_param` ("$1"): every column of sync_events,
// alias it ("FROM " + PendingEvents("$1") + " AS e"). Reads each priority
// class through the index from its watermark on.
std::string PendingEvents(std::string_view repo_param);

// A condition on one row `alias` of sync_events: pending.
std::string IsPending(std::string_view alias);

// An expression: the row `alias`'s processed time, NULL while pending.
std::string ProcessedAt(std::string_view alias);

// The watermark of one priority class of a repository: every event of it
// up to this id is processed (0 before its first range).
Result<std::int64_t> ReadWatermark(Reader& db, std::int64_t repository_id, std::int64_t priority);

}  // namespace docrunch::store
