#include "runtime/http/json_codec.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include <boost/uuid/name_generator_sha1.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <nlohmann/json.hpp>

#include "runtime/core/time_format.hpp"

namespace ordernode {

namespace {

using json = nlohmann::json;

api_error bad_request(std::string error, std::string field, std::string message) {
  return {400, std::move(error), std::move(field), std::move(message)};
}

std::optional<api_error> read_string(const json& doc, const char* key, std::string& out) {
  auto i = doc.find(key);
  if (i == doc.end())
    return bad_request("missing_field", key, std::string{"field "} + key + " is required");
  if (!i->is_string())
    return bad_request("wrong_type", key, std::string{"field "} + key + " must be a string");
  out = i->get<std::string>();
  // "\u0000" is valid JSON, but no database keeps it in text.
  if (out.find('\0') != std::string::npos)
    return bad_request("invalid_text", key,
                       std::string{"field "} + key + " must not contain the character U+0000");
  return std::nullopt;
}

// Never throws: text read back from the journal may hold invalid UTF-8.
std::string dump(const json& doc) {
  return doc.dump(-1, ' ', false, json::error_handler_t::replace);
}

json time_json(timestamp at) {
  if (at == 0)
    return nullptr;
  return iso8601(at);
}

}  // namespace

size_t nesting_depth(std::string_view text) {
  size_t depth = 0;
  size_t deepest = 0;
  bool in_string = false;
  bool escaped = false;
  for (auto c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
}

std::string to_json(const api_error& x) {
  json doc{{"error", x.error}, {"message", x.message}};
  doc["field"] = x.field.empty() ? json(nullptr) : json(x.field);
  return dump(doc);
}

std::optional<api_error> parse_order(std::string_view body, order& out) {
  // nlohmann's parser takes a NUL byte for the end of the input and ignores what follows.
  if (body.find('\0') != std::string_view::npos)
    return bad_request("invalid_json", "", "the body is not valid JSON: it holds a NUL byte");
  if (nesting_depth(body) > max_json_depth)
    return bad_request("invalid_json", "",
                       "the body nests deeper than " + std::to_string(max_json_depth) + " levels");
  auto doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded())
    return bad_request("invalid_json", "", "the body is not valid JSON");
  if (!doc.is_object())
    return bad_request("wrong_type", "", "the body must be a JSON object");
  static const char* known[] = {"productName", "quantity", "region", "customer", "vip"};
  for (auto& [key, value] : doc.items())
    if (std::find(std::begin(known), std::end(known), key) == std::end(known))
      return bad_request("unknown_field", key, "unknown field " + key);
  if (auto err = read_string(doc, "productName", out.product_name))
    return err;
  auto q = doc.find("quantity");
  if (q == doc.end())
    return bad_request("missing_field", "quantity", "field quantity is required");
  if (!q->is_number_integer())
    return bad_request("wrong_type", "quantity", "field quantity must be an integer");
  if (q->is_number_unsigned()) {
    auto n = q->get<uint64_t>();
    out.quantity = n > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())
                     ? std::numeric_limits<int32_t>::max()
                     : static_cast<int32_t>(n);
  } else {
    auto n = q->get<int64_t>();
    out.quantity = static_cast<int32_t>(std::clamp<int64_t>(n, std::numeric_limits<int32_t>::min(),
                                                            std::numeric_limits<int32_t>::max()));
  }
  if (auto err = read_string(doc, "region", out.region))
    return err;
  if (auto err = read_string(doc, "customer", out.customer))
    return err;
  auto vip = doc.find("vip");
  out.vip = false;
  if (vip != doc.end()) {
    if (!vip->is_boolean())
      return bad_request("wrong_type", "vip", "field vip must be true or false");
    out.vip = vip->get<bool>();
  }
  return std::nullopt;
}

std::optional<api_error> validate_order(const order& x, const order_rules& rules,
                                        const std::set<std::string>& regions) {
  if (auto violation = check_order(x, rules, regions))
    return api_error{422, "validation", field_name(violation->field), violation->message};
  return std::nullopt;
}

std::optional<api_error> check_idempotency_key(std::string_view key) {
  auto visible = [](char c) {
    return c > 0x20 && c < 0x7f;
  };
  if (key.empty() || key.size() > 255 || !std::all_of(key.begin(), key.end(), visible))
    return bad_request("invalid_header", "Idempotency-Key",
                       "Idempotency-Key must be 1 to 255 visible ASCII characters");
  return std::nullopt;
}

std::string order_id_for_key(std::string_view key) {
  // The namespace of ordernode's idempotency keys (itself a random UUID).
  static const boost::uuids::uuid ns{{0x5b, 0x0e, 0x6c, 0x43, 0x1a, 0x8f, 0x4d, 0x2e, 0x9c, 0x77,
                                      0x30, 0xd1, 0x4f, 0x62, 0xa8, 0x15}};
  boost::uuids::name_generator_sha1 gen{ns};
  return boost::uuids::to_string(gen(key.data(), key.size()));
}

bool same_order(const order& x, const order& y) {
  return x.product_name == y.product_name && x.quantity == y.quantity && x.region == y.region
         && x.customer == y.customer && x.vip == y.vip;
}

nlohmann::json order_json(const order& x) {
  return {{"id", x.id},
          {"productName", x.product_name},
          {"quantity", x.quantity},
          {"region", x.region},
          {"customer", x.customer},
          {"vip", x.vip},
          {"createdAt", time_json(x.created_at)}};
}

nlohmann::json record_json(const order_record& x) {
  auto doc = order_json(x.item);
  doc["status"] = state_name(x.state);
  doc["detail"] = x.detail;
  doc["updatedAt"] = time_json(x.updated_at);
  doc["recoveries"] = x.recoveries;
  if (!x.owner.empty())
    doc["node"] = x.owner;
  doc["cursor"] = x.seq;
  if (!x.history.empty()) {
    auto& history = doc["history"] = json::array();
    for (auto& e : x.history)
      history.push_back({{"state", state_name(e.state)},
                         {"stage", e.stage},
                         {"detail", e.detail},
                         {"at", time_json(e.at)}});
  }
  return doc;
}

std::string listing_json(const std::vector<order_record>& xs, size_t limit) {
  json doc{{"orders", json::array()}};
  auto& orders = doc["orders"];
  for (auto& x : xs)
    orders.push_back(record_json(x));
  doc["next"] =
    !xs.empty() && xs.size() >= limit ? json(std::to_string(xs.back().seq)) : json(nullptr);
  return dump(doc);
}

std::string totals_json(const totals& x, const nlohmann::json& extra) {
  auto region = [](const region_totals& r) {
    return json{{"completed", r.completed},
                {"quantity", r.quantity},
                {"failed", r.failed},
                {"rejected", r.rejected}};
  };
  json doc{{"all", region(x.all)}, {"byRegion", json::object()}};
  for (auto& [name, r] : x.by_region)
    doc["byRegion"][name] = region(r);
  for (auto& [key, value] : extra.items())
    doc[key] = value;
  return dump(doc);
}

std::string cluster_json(const cluster_facts& self, const std::vector<node_record>& nodes,
                         const std::set<std::string>& regions) {
  json doc{{"node", self.node}, {"clustered", self.clustered}, {"nodes", json::array()}};
  auto& xs = doc["nodes"];
  if (!self.clustered) {
    xs.push_back({{"id", self.node}, {"state", "up"}, {"self", true}, {"regions", regions}});
    return dump(doc);
  }
  doc["leaseMs"] = std::chrono::duration_cast<std::chrono::milliseconds>(self.lease).count();
  for (auto& x : nodes) {
    auto state = state_of(x, self.lease);
    json names = json::array();
    for (size_t start = 0; start < x.regions.size();) {
      auto end = std::min(x.regions.find(',', start), x.regions.size());
      names.push_back(x.regions.substr(start, end - start));
      start = end + 1;
    }
    xs.push_back({{"id", x.id},
                  {"state", state},
                  {"self", x.id == self.node},
                  {"regions", std::move(names)},
                  {"http", x.http},
                  {"admin", x.admin},
                  {"metrics", x.metrics},
                  {"version", x.version},
                  {"host", x.host},
                  {"pid", x.pid},
                  {"startedAt", time_json(x.started_at)},
                  {"heartbeatAgeMs", x.heartbeat_age / 1'000'000},
                  {"inFlight", x.left ? 0 : x.in_flight},
                  {"finished", x.finished},
                  {"finishedPerSecond", x.left ? 0.0 : x.finished_rate}});
  }
  return dump(doc);
}

std::string changes_json(const std::vector<order_change>& xs) {
  json doc{{"type", "changes"}, {"changes", json::array()}};
  auto& changes = doc["changes"];
  for (auto& x : xs)
    changes.push_back({{"id", x.event.order_id},
                       {"state", state_name(x.event.state)},
                       {"stage", x.event.stage},
                       {"detail", x.event.detail},
                       {"at", x.event.at / 1'000'000},
                       {"productName", x.product_name},
                       {"quantity", x.quantity},
                       {"region", x.region},
                       {"customer", x.customer},
                       {"vip", x.vip}});
  return dump(doc);
}

std::string accepted_json(const std::string& id, bool replayed, bool forwarded, bool readable) {
  // Hot path: formatted by hand; `id` is a UUID and needs no escaping.
  std::string result;
  result.reserve(120 + 2 * id.size());
  result += R"({"id":")";
  result += id;
  if (forwarded && !readable) {
    result += R"(","status":"forwarded","replayed":false})";
    return result;
  }
  if (forwarded) {
    result += R"(","status":"forwarded","statusUrl":"/api/orders/)";
    result += id;
    result += R"(","replayed":false})";
    return result;
  }
  result += R"(","status":"received","statusUrl":"/api/orders/)";
  result += id;
  result += replayed ? R"(","replayed":true})" : R"(","replayed":false})";
  return result;
}

}  // namespace ordernode
