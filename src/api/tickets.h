// Single-use WebSocket tickets (30 s). Browsers cannot put an
// Authorization header on a WebSocket, so a signed-in client trades its
// token for a ticket (POST /api/auth/ws-ticket) and opens the stream with
// ?ticket=. In one process the tickets live in a map; with Redis they live
// in Redis (SET NX EX 30, redeemed with GETDEL), so a ticket issued by one
// `serve` opens a stream on any other behind the same load balancer. Should
// Redis fail, tickets fall back to this process's map.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "api/route.h"

namespace docrunch::api {

class TicketBook {
 public:
  virtual ~TicketBook() = default;
  virtual std::string Issue(const Caller& caller) = 0;
  // The caller the ticket was issued to; nullopt for an unknown, used or
  // expired ticket. A ticket is gone after its first redemption, valid or not.
  virtual std::optional<Caller> Redeem(const std::string& ticket) = 0;
};

std::unique_ptr<TicketBook> MakeLocalTicketBook();
// STORAGE_UNAVAILABLE when Redis cannot be reached at start.
Result<std::unique_ptr<TicketBook>> MakeRedisTicketBook(const std::string& redis_url,
                                                        const std::string& key_prefix);

}  // namespace docrunch::api
