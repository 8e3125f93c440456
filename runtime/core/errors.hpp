// The error codes of ordernode, as CAF errors in the "ordernode" category.
#pragma once

#include <cstdint>
#include <string>

#include <caf/error.hpp>

#include "runtime/core/refusal.hpp"

namespace ordernode {

enum class errc : uint8_t {
  overloaded = 1,
  invalid_order,
  unknown_region,
  store_failure,
  bad_config,
  shutting_down,
  injected_crash,
  broker_failure,
  node_id_taken,  // A live node of the cluster has this node's id.
};

std::string to_string(errc x);

caf::error make_error(errc x);

caf::error make_error(errc x, std::string context);

// The error a submitter that waits for a response gets for a refused order.
caf::error make_error(refusal x, std::string detail);

// Renders errors of the "ordernode" category, for actor_system_config::add_error_category.
std::string render_error(uint8_t code, caf::atom_value category, const caf::message& context);

// "overloaded: too many orders in flight", "store_failure: disk I/O error", ...
std::string describe(const caf::error& err);

}  // namespace ordernode
