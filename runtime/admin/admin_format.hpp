// Text renderings of registry and journal contents for the admin shell.
#pragma once

#include <string>
#include <vector>

#include "runtime/core/actor_registry.hpp"
#include "runtime/core/messages.hpp"
#include "runtime/core/cluster_facts.hpp"
#include "runtime/store/journal_reader.hpp"

namespace ordernode {

// Column-aligned rows; the first row is the header.
std::string format_table(const std::vector<std::vector<std::string>>& rows);

// One line per actor: name, type, state, mailbox, handled, errors, restarts, uptime.
std::string format_actors(const std::vector<actor_info>& actors, timestamp at);

// Every field of one actor, including why it last stopped.
std::string format_actor(const actor_info& x, timestamp at);

// The order with its full history.
std::string format_order(const order_record& x);

// One line per order.
std::string format_orders(const std::vector<order_record>& orders);

std::string format_errors(const std::vector<error_record>& errors);

// The aggregator's totals, overall and per region.
std::string format_totals(const totals& x);

// The `nodes` table: one row per member with its state by `self.lease`.
std::string format_nodes(const std::vector<node_record>& nodes, const cluster_facts& self);

// "2h03m", "4m10s", "12.4s".
std::string format_uptime(timestamp elapsed);

}  // namespace ordernode
