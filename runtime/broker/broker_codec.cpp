#include "runtime/broker/broker_codec.hpp"

#include <algorithm>
#include <limits>

#include <nlohmann/json.hpp>

#include "runtime/core/errors.hpp"

namespace ordernode {

namespace {

using json = nlohmann::json;

caf::error bad(const std::string& field, const std::string& what) {
  return make_error(errc::invalid_order, "field '" + field + "' " + what);
}

caf::expected<json> parse_object(const std::string& body) {
  auto doc = json::parse(body, nullptr, false);
  if (doc.is_discarded())
    return make_error(errc::invalid_order, "malformed JSON");
  if (!doc.is_object())
    return make_error(errc::invalid_order, "not a JSON object");
  return doc;
}

caf::error take_string(const json& doc, const char* key, std::string& out, size_t max_size) {
  auto i = doc.find(key);
  if (i == doc.end())
    return bad(key, "is missing");
  if (!i->is_string())
    return bad(key, "must be a string");
  out = i->get<std::string>();
  if (out.size() > max_size)
    return bad(key, "is longer than " + std::to_string(max_size) + " bytes");
  if (out.find('\0') != std::string::npos)
    return bad(key, "must not contain the character U+0000");
  return caf::none;
}

template <class T>
caf::error take_int(const json& doc, const char* key, T& out) {
  auto i = doc.find(key);
  if (i == doc.end())
    return bad(key, "is missing");
  if (!i->is_number_integer())
    return bad(key, "must be an integer");
  auto v = i->get<int64_t>();
  if (i->is_number_unsigned() && i->get<uint64_t>() > static_cast<uint64_t>(INT64_MAX))
    return bad(key, "is out of range");
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
    return bad(key, "is out of range");
  out = static_cast<T>(v);
  return caf::none;
}

constexpr size_t max_text = 4096;

}  // namespace

std::string encode_order(const order& x) {
  return json{{"id", x.id},
              {"productName", x.product_name},
              {"quantity", x.quantity},
              {"region", x.region},
              {"customer", x.customer},
              {"vip", x.vip},
              {"createdAt", x.created_at}}
    .dump();
}

caf::expected<order> decode_order(const std::string& body) {
  auto doc = parse_object(body);
  if (!doc)
    return doc.error();
  static const char* fields[] = {"id",       "productName", "quantity", "region",
                                 "customer", "vip",         "createdAt"};
  for (auto& [key, value] : doc->items())
    if (std::find_if(std::begin(fields), std::end(fields), [&](auto f) { return key == f; })
        == std::end(fields))
      return bad(key, "is unknown");
  order x;
  if (auto err = take_string(*doc, "id", x.id, 64))
    return err;
  if (x.id.empty())
    return bad("id", "is empty");
  if (auto err = take_string(*doc, "productName", x.product_name, max_text))
    return err;
  if (auto err = take_int(*doc, "quantity", x.quantity))
    return err;
  if (auto err = take_string(*doc, "region", x.region, max_text))
    return err;
  if (auto err = take_string(*doc, "customer", x.customer, max_text))
    return err;
  auto vip = doc->find("vip");
  if (vip == doc->end())
    return bad("vip", "is missing");
  if (!vip->is_boolean())
    return bad("vip", "must be true or false");
  x.vip = vip->get<bool>();
  if (auto err = take_int(*doc, "createdAt", x.created_at))
    return err;
  return x;
}

std::string encode_result(const finished_order& x, const std::string& node) {
  return json{{"orderId", x.item.id}, {"state", state_name(x.state)},
              {"detail", x.detail},   {"region", x.item.region},
              {"node", node},         {"at", x.at}}
    .dump();
}

caf::expected<order_result> decode_result(const std::string& body) {
  auto doc = parse_object(body);
  if (!doc)
    return doc.error();
  order_result x;
  std::string state;
  if (auto err = take_string(*doc, "orderId", x.order_id, 64))
    return err;
  if (auto err = take_string(*doc, "state", state, 64))
    return err;
  auto parsed = parse_order_state(state);
  if (!parsed || !is_final(*parsed))
    return bad("state", "is not a final state");
  x.state = *parsed;
  if (auto err = take_string(*doc, "detail", x.detail, max_text))
    return err;
  if (auto err = take_string(*doc, "node", x.node, max_text))
    return err;
  if (auto err = take_int(*doc, "at", x.at))
    return err;
  return x;
}

std::string trace_id_of(const std::string& order_id) {
  std::string result;
  for (auto c : order_id)
    if (c != '-')
      result += c;
  return result;
}

}  // namespace ordernode
