// The node's Prometheus metrics: one registry and every metric handle, resolved at setup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "runtime/core/actor_registry.hpp"
#include "runtime/core/messages.hpp"

namespace ordernode {

// The messages `self` fetched from its mailbox and not yet handled; CAF fetches every new
// arrival at the start of each scheduling round. (mailbox().size() would fetch in the middle
// of a round, which CAF 0.17 does not expect: UBSan flags it.) Call it from inside the actor.
template <class Self>
size_t backlog(Self* self) {
  return self->mailbox().queue().total_task_size();
}

// The metrics of one stage of the flow. `counters` are its entry in the actor registry.
struct stage_metrics {
  prometheus::Counter* in = nullptr;
  prometheus::Counter* out = nullptr;
  prometheus::Counter* errors = nullptr;
  prometheus::Histogram* seconds = nullptr;  // Time a message spends in the stage.
  std::shared_ptr<actor_counters> counters;
  std::shared_ptr<const void> owner;  // Keeps the handles valid (the metrics, when shared).

  // Counts one handled message and the mailbox left behind (see backlog()).
  void handled(size_t mailbox) const {
    in->Increment();
    counters->handled.fetch_add(1, std::memory_order_relaxed);
    counters->mailbox.store(mailbox, std::memory_order_relaxed);
  }

  void error() const {
    errors->Increment();
    counters->errors.fetch_add(1, std::memory_order_relaxed);
  }
};

// The metrics of one region, per VIP flag where it helps (index 0: normal, 1: VIP).
struct region_metrics {
  std::string name;
  prometheus::Counter* accepted[2] = {};
  prometheus::Counter* completed[2] = {};
  prometheus::Counter* failed[2] = {};
  prometheus::Counter* rejected[2] = {};
  prometheus::Counter* dead_letters[2] = {};
  prometheus::Histogram* completed_seconds[2] = {};  // Accepted to completed.
  prometheus::Histogram* failed_seconds[2] = {};     // Accepted to failed.
  prometheus::Gauge* queued[2] = {};                 // Waiting in the dispatcher.
  prometheus::Gauge* held = nullptr;                 // Held by processors.
  prometheus::Gauge* busy_workers = nullptr;
  prometheus::Gauge* workers = nullptr;
  prometheus::Counter* worker_restarts = nullptr;
  prometheus::Counter* shipping_retries = nullptr;
};

// The broker's metrics, for runtime/broker/ to record (all without labels):
//  - publishes: orders and results published to the broker;
//  - confirms_ack / confirms_nack: publisher confirms received, by outcome;
//  - deliveries: messages the consumer received; acks: messages it acknowledged;
//  - outbox_backlog: messages waiting in the outbox for a publish or a confirm;
//  - lag_seconds: age of the oldest outbox message the broker has not confirmed (0 when none);
//  - queue_depth: messages ready in the consumed queue, as the broker last reported;
//  - consumers: consumers on the queues this node consumes, its own included;
//  - connected: 1 while the AMQP connection is up, [0] the publisher's, [1] the consumer's.
// The watchdog and the BrokerLag alert watch lag_seconds.
struct broker_metrics {
  prometheus::Counter* publishes = nullptr;
  prometheus::Counter* confirms_ack = nullptr;
  prometheus::Counter* confirms_nack = nullptr;
  prometheus::Counter* deliveries = nullptr;
  prometheus::Counter* acks = nullptr;
  prometheus::Gauge* outbox_backlog = nullptr;
  prometheus::Gauge* lag_seconds = nullptr;
  prometheus::Gauge* queue_depth = nullptr;
  prometheus::Gauge* consumers = nullptr;
  prometheus::Gauge* connected[2] = {};
};

// The journal's group commits.
struct journal_metrics {
  prometheus::Histogram* batch_rows = nullptr;
  prometheus::Histogram* commit_seconds = nullptr;
  prometheus::Counter* commit_failures = nullptr;
  prometheus::Gauge* failing = nullptr;  // 1 while commits fail: /readyz says not ready.
};

// Totals the watchdog reads, summed over every region.
struct order_counts {
  double accepted = 0;
  double completed = 0;
  double failed = 0;  // Failed, rejected and dead-lettered.
};

// Shared by pointer with every actor that records; every handle is resolved in the
// constructor, so recording is an atomic add (histograms take a short lock). Orders of an
// unknown region count under the region "other".
class node_metrics : public std::enable_shared_from_this<node_metrics> {
public:
  // `actors` may be null: then the per-actor counters go nowhere and are not exported.
  node_metrics(const std::vector<std::string>& regions, std::shared_ptr<actor_registry> actors);

  node_metrics(const node_metrics&) = delete;
  node_metrics& operator=(const node_metrics&) = delete;

  // The metrics of `stage`; `actor` names its entry in the actor registry (default: the stage).
  stage_metrics stage(const std::string& name, const std::string& actor = "");

  // The metrics of `region`, or of "other" for a region not configured.
  region_metrics& region(const std::string& name);

  // The metrics of an order's region and VIP flag, as an index pair for region_metrics arrays.
  region_metrics& region_of(const order& x) {
    return region(x.region);
  }

  static int vip_index(const order& x) {
    return x.vip ? 1 : 0;
  }

  // Records that the journal committed `x` (newly accepted).
  void accepted(const order& x);

  // Records that `x` reached the final `state`, `seconds` after its acceptance (negative:
  // unknown, e.g. after a restart).
  void finished(const order& x, order_state state, double seconds);

  prometheus::Gauge& in_flight() {
    return *in_flight_;
  }

  journal_metrics& journal() {
    return journal_;
  }

  // True while journal commits fail (the gauge ordernode_journal_failing is 1).
  bool journal_failing() const;

  broker_metrics& broker() {
    return broker_;
  }

  const broker_metrics& broker() const {
    return broker_;
  }

  // Counts one alert the watchdog raised.
  void alert(const std::string& name);

  order_counts counts() const;

  // The registry of the families above.
  prometheus::Registry& registry() {
    return *registry_;
  }

  // Everything a scrape collects: the registry, then the actor registry's counters.
  std::vector<std::shared_ptr<prometheus::Collectable>> collectables() const;

  const std::shared_ptr<actor_registry>& actors() const {
    return actors_;
  }

private:
  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<actor_registry> actors_;
  std::shared_ptr<prometheus::Collectable> actor_collectable_;
  std::vector<std::unique_ptr<region_metrics>> regions_;  // The last one is "other".
  prometheus::Gauge* in_flight_ = nullptr;
  journal_metrics journal_;
  broker_metrics broker_;
  prometheus::Family<prometheus::Counter>* alerts_ = nullptr;
  prometheus::Family<prometheus::Counter>* stage_in_ = nullptr;
  prometheus::Family<prometheus::Counter>* stage_out_ = nullptr;
  prometheus::Family<prometheus::Counter>* stage_errors_ = nullptr;
  prometheus::Family<prometheus::Histogram>* stage_seconds_ = nullptr;
  std::shared_ptr<actor_registry> fallback_actors_;  // Counters of a node without a registry.
};

// `x`, or else metrics of their own that nobody scrapes (for actors run without a node).
std::shared_ptr<node_metrics> or_unrecorded(std::shared_ptr<node_metrics> x);

// The Prometheus text exposition of everything `x` collects, for the HTTP server's /metrics.
std::string render_metrics(const node_metrics& x);

}  // namespace ordernode
