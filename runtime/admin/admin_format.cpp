#include "runtime/admin/admin_format.hpp"

#include <algorithm>
#include <cstdio>

#include "runtime/report/report.hpp"

namespace ordernode {

std::string format_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()));
    for (size_t i = 0; i < row.size(); ++i)
      widths[i] = std::max(widths[i], row[i].size());
  }
  std::string result;
  for (auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size())
        line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    result += line + "\n";
  }
  return result;
}

std::string format_uptime(timestamp elapsed) {
  char buf[32];
  auto secs = elapsed / 1'000'000'000;
  if (secs >= 3600)
    std::snprintf(buf, sizeof(buf), "%lldh%02lldm", static_cast<long long>(secs / 3600),
                  static_cast<long long>(secs % 3600 / 60));
  else if (secs >= 60)
    std::snprintf(buf, sizeof(buf), "%lldm%02llds", static_cast<long long>(secs / 60),
                  static_cast<long long>(secs % 60));
  else
    std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(elapsed) / 1e9);
  return buf;
}

std::string format_actors(const std::vector<actor_info>& actors, timestamp at) {
  std::vector<std::vector<std::string>> rows{
    {"NAME", "TYPE", "STATE", "MAILBOX", "HANDLED", "ERRORS", "RESTARTS", "UPTIME"}};
  for (auto& x : actors)
    rows.push_back({x.name, x.kind, x.alive ? "running" : "down", std::to_string(x.mailbox),
                    std::to_string(x.handled), std::to_string(x.errors), std::to_string(x.restarts),
                    x.alive ? format_uptime(at - x.started_at) : "-"});
  return format_table(rows) + std::to_string(actors.size()) + " actors\n";
}

std::string format_actor(const actor_info& x, timestamp at) {
  return format_table({{"name", x.name},
                       {"type", x.kind},
                       {"state", x.alive ? "running" : "down"},
                       {"mailbox", std::to_string(x.mailbox)},
                       {"handled", std::to_string(x.handled)},
                       {"errors", std::to_string(x.errors)},
                       {"restarts", std::to_string(x.restarts)},
                       {"started", x.started_at != 0 ? format_time(x.started_at) : "-"},
                       {"uptime", x.alive ? format_uptime(at - x.started_at) : "-"},
                       {"last exit", x.last_exit.empty() ? "-" : x.last_exit}});
}

std::string format_order(const order_record& x) {
  auto& o = x.item;
  auto text = format_table({{"id", o.id},
                            {"state", state_name(x.state)},
                            {"detail", x.detail.empty() ? "-" : x.detail},
                            {"product", o.product_name},
                            {"quantity", std::to_string(o.quantity)},
                            {"region", o.region},
                            {"customer", o.customer},
                            {"vip", o.vip ? "yes" : "no"},
                            {"created", format_time(o.created_at)},
                            {"updated", format_time(x.updated_at)},
                            {"recoveries", std::to_string(x.recoveries)}});
  text += "history:\n";
  std::vector<std::vector<std::string>> rows{{"  AT", "STATE", "STAGE", "DETAIL"}};
  auto start = x.history.empty() ? 0 : x.history.front().at;
  for (auto& h : x.history)
    rows.push_back({"  +" + format_duration(h.at - start), state_name(h.state), h.stage, h.detail});
  return text + format_table(rows);
}

std::string format_orders(const std::vector<order_record>& orders) {
  std::vector<std::vector<std::string>> rows{
    {"SEQ", "ID", "STATE", "REGION", "VIP", "PRODUCT", "QTY", "UPDATED"}};
  for (auto& x : orders)
    rows.push_back({std::to_string(x.seq), x.item.id, state_name(x.state), x.item.region,
                    x.item.vip ? "yes" : "no", x.item.product_name, std::to_string(x.item.quantity),
                    format_time(x.updated_at)});
  return format_table(rows) + std::to_string(orders.size()) + " orders\n";
}

std::string format_errors(const std::vector<error_record>& errors) {
  std::vector<std::vector<std::string>> rows{{"AT", "ORDER", "STAGE", "TYPE", "CAUSE"}};
  for (auto& x : errors)
    rows.push_back(
      {format_time(x.at), x.order_id.empty() ? "-" : x.order_id, x.stage, x.type, x.cause});
  return format_table(rows) + std::to_string(errors.size()) + " errors\n";
}

std::string format_totals(const totals& x) {
  std::vector<std::vector<std::string>> rows{
    {"REGION", "COMPLETED", "QUANTITY", "FAILED", "REJECTED"}};
  auto add = [&](const std::string& name, const region_totals& t) {
    rows.push_back({name, std::to_string(t.completed), std::to_string(t.quantity),
                    std::to_string(t.failed), std::to_string(t.rejected)});
  };
  for (auto& [name, t] : x.by_region)
    add(name, t);
  add("all", x.all);
  return format_table(rows);
}

std::string format_nodes(const std::vector<node_record>& nodes, const cluster_facts& self) {
  std::vector<std::vector<std::string>> rows{
    {"NODE", "STATE", "REGIONS", "IN-FLIGHT", "FINISHED/S", "HEARTBEAT", "HTTP", "ADMIN"}};
  for (auto& x : nodes) {
    auto state = std::string{state_of(x, self.lease)};
    auto up = state == "up";
    char rate[32];
    std::snprintf(rate, sizeof(rate), "%.1f", up ? x.finished_rate : 0.0);
    rows.push_back({x.id + (x.id == self.node ? " *" : ""), state, x.regions,
                    up ? std::to_string(x.in_flight) : "-", rate,
                    std::to_string(x.heartbeat_age / 1'000'000) + " ms ago",
                    x.http.empty() ? "-" : x.http, x.admin.empty() ? "-" : x.admin});
  }
  return format_table(rows) + std::to_string(nodes.size()) + " nodes (* this one)\n";
}

}  // namespace ordernode
