// The JSON of the HTTP API: order requests in, records, listings, totals and changes out.
#pragma once

#include <map>
#include <set>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/core/messages.hpp"
#include "runtime/core/order_rules.hpp"
#include "runtime/core/stages.hpp"
#include "runtime/http/http_port.hpp"
#include "runtime/store/journal_reader.hpp"

namespace ordernode {

// An answer other than success: the status and the JSON body {error, field, message}.
struct api_error {
  unsigned status = 400;
  std::string error;    // A stable machine-readable kind, e.g. "invalid_json".
  std::string field;    // The offending field, parameter or header; empty when none.
  std::string message;  // For humans.
};

std::string to_json(const api_error& x);

// The deepest nesting of arrays and objects in `text`, counted without parsing it, so that a
// body of a million `[` is refused before the parser builds a million values.
size_t nesting_depth(std::string_view text);

// Deeper bodies are refused; an order is two levels deep.
constexpr size_t max_json_depth = 32;

// Reads a POST /api/orders body {productName, quantity, region, customer, vip} into `out`
// (without id and timestamp). Malformed JSON (a NUL byte or anything but whitespace after the
// value included), nesting deeper than max_json_depth, missing or unknown fields and wrong
// types are 400 errors.
std::optional<api_error> parse_order(std::string_view body, order& out);

// The 422 for a well-formed order that breaks one of the rules (check_order), naming the field;
// nothing when it is valid. Such an order still goes into the journal and ends `rejected`.
std::optional<api_error> validate_order(const order& x, const order_rules& rules,
                                        const std::set<std::string>& regions);

// Checks an Idempotency-Key header value: 1 to 255 visible ASCII characters.
std::optional<api_error> check_idempotency_key(std::string_view key);

// The order id for an idempotency key: a name-based (version 5) UUID, so a retry after a
// restart maps to the same journal row.
std::string order_id_for_key(std::string_view key);

// Whether a stored order carries the same fields as a submitted one.
bool same_order(const order& x, const order& y);

nlohmann::json order_json(const order& x);

// An order with its state, and with its history when the record has one.
nlohmann::json record_json(const order_record& x);

// A page of orders with the cursor of the next page (null on the last page).
std::string listing_json(const std::vector<order_record>& xs, size_t limit);

std::string totals_json(const totals& x, const nlohmann::json& extra);

// GET /api/cluster: the members with their state ("up", "down" past the lease, "left"); a node
// that runs alone lists itself with its `regions`.
std::string cluster_json(const cluster_facts& self, const std::vector<node_record>& nodes,
                         const std::set<std::string>& regions);

// One WebSocket message with a batch of state changes.
std::string changes_json(const std::vector<order_change>& xs);

// The answer to an accepted POST; a forwarded order has a status URL only where the journal of
// the node that takes it is `readable` (a cluster's shared journal).
std::string accepted_json(const std::string& id, bool replayed, bool forwarded = false,
                          bool readable = false);

}  // namespace ordernode
