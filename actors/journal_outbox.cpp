#include "actors/journal_outbox.hpp"

#include <algorithm>

#include "runtime/broker/broker_codec.hpp"

namespace ordernode {

outbox_message journal_outbox::forward(const order& x) const {
  return outbox_message{0, options_.exchange, x.region, x.id, encode_order(x), now()};
}

std::optional<outbox_message> journal_outbox::result(const finished_order& x) const {
  if (options_.results_exchange.empty())
    return std::nullopt;
  return outbox_message{0,         options_.results_exchange,          x.item.region,
                        x.item.id, encode_result(x, options_.node_id), x.at};
}

void journal_outbox::withdraw(journal_batch& batch, const std::set<std::string>& ids) const {
  auto& xs = batch.outbox;
  xs.erase(std::remove_if(xs.begin(), xs.end(),
                          [&](const outbox_message& x) {
                            return x.exchange == options_.exchange && ids.count(x.message_id) > 0;
                          }),
           xs.end());
}

caf::expected<outbox_page> journal_outbox::page(order_store& store, int64_t after,
                                                int32_t limit) const {
  return store.outbox(after, static_cast<size_t>(std::max(1, limit)));
}

void journal_outbox::confirm(journal_batch& batch, const std::vector<int64_t>& seqs) const {
  batch.published.insert(batch.published.end(), seqs.begin(), seqs.end());
}

}  // namespace ordernode
