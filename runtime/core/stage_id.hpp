// The stages of the flow and the kinds of error they report, each with one table of names (the
// names the journal stores and the notifications show).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace ordernode {

// The values are stored in the journal as codes: never renumber, add new stages at the end.
enum class stage_id : uint8_t {
  source,
  intake,
  validator,
  dispatcher,
  processor,
  shipper,
  aggregator,
  error_channel,
  notifier,
  journal,
  supervisor,
  watchdog,
  broker,
  admin,
  test,     // Events and errors made by tests and tools.
  replay,   // An operator moved the order back into the flow (--replay-dead-letters).
  cluster,  // A node took the order over from a node that is down.
};

constexpr stage_id last_stage_id = stage_id::cluster;

const std::string& to_string(stage_id x);

std::optional<stage_id> parse_stage_id(const std::string& name);

enum class error_type : uint8_t {
  validation,         // The order breaks a rule: it ends `rejected`.
  processing,         // The processing system failed the order.
  shipping,           // Shipping failed after the last retry.
  recovery,           // A recovered order cannot go on (its region is gone).
  dead_letter,        // Recovered too often without finishing: it ends `dead_letter`.
  storage,            // The journal cannot read or write.
  crash,              // A stage died.
  restart,            // The supervisor restarted a stage.
  escalation,         // The supervisor gave up: the node stops.
  malformed_message,  // The broker delivered something that is not an order.
  result_missing,     // A published order's result did not come back in time.
  result_delayed,     // A result came back late.
  throughput_drop,    // Watchdog alerts, and their end.
  error_rate,
  broker_lag,
  resolved,
};

const std::string& to_string(error_type x);

std::optional<error_type> parse_error_type(const std::string& name);

}  // namespace ordernode
