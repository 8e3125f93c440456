#include "runtime/metrics/node_metrics.hpp"

#include <sstream>

#include <prometheus/text_serializer.h>

namespace ordernode {

namespace {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

const prometheus::Histogram::BucketBoundaries order_buckets{
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300};
const prometheus::Histogram::BucketBoundaries stage_buckets{
  0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
const prometheus::Histogram::BucketBoundaries batch_buckets{1,   2,   5,   10,   20,   50,
                                                            100, 200, 500, 1000, 2000, 5000};
const prometheus::Histogram::BucketBoundaries commit_buckets{
  0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1};

const char* vip_value[2] = {"false", "true"};

// The actor registry's counters, read at scrape time.
class actor_collectable : public prometheus::Collectable {
public:
  explicit actor_collectable(std::shared_ptr<actor_registry> actors) : actors_(std::move(actors)) {}

  std::vector<MetricFamily> Collect() const override {
    MetricFamily handled{
      "ordernode_actor_messages_total", "Messages an actor handled", MetricType::Counter, {}};
    MetricFamily errors{
      "ordernode_actor_errors_total", "Errors an actor raised", MetricType::Counter, {}};
    MetricFamily mailbox{"ordernode_actor_mailbox_size",
                         "Mailbox size when the actor last handled a message",
                         MetricType::Gauge,
                         {}};
    MetricFamily restarts{
      "ordernode_actor_restarts_total", "Restarts of an actor", MetricType::Counter, {}};
    MetricFamily up{"ordernode_actor_up", "1 while the actor runs", MetricType::Gauge, {}};
    for (auto& x : actors_->snapshot()) {
      ClientMetric m;
      m.label = {{"actor", x.name}, {"kind", x.kind}};
      auto add = [&](MetricFamily& f, double value) {
        auto copy = m;
        if (f.type == MetricType::Counter)
          copy.counter.value = value;
        else
          copy.gauge.value = value;
        f.metric.push_back(std::move(copy));
      };
      add(handled, static_cast<double>(x.handled));
      add(errors, static_cast<double>(x.errors));
      add(mailbox, static_cast<double>(x.mailbox));
      add(restarts, static_cast<double>(x.restarts));
      if (x.started_at != 0)  // Counters only, e.g. shared by a pool of processors.
        add(up, x.alive ? 1 : 0);
    }
    return {std::move(handled), std::move(errors), std::move(mailbox), std::move(restarts),
            std::move(up)};
  }

private:
  std::shared_ptr<actor_registry> actors_;
};

}  // namespace

node_metrics::node_metrics(const std::vector<std::string>& regions,
                           std::shared_ptr<actor_registry> actors)
    : registry_(std::make_shared<prometheus::Registry>()), actors_(std::move(actors)) {
  auto& reg = *registry_;
  if (actors_)
    actor_collectable_ = std::make_shared<actor_collectable>(actors_);
  else
    fallback_actors_ = std::make_shared<actor_registry>();
  auto& accepted = BuildCounter()
                     .Name("ordernode_orders_accepted_total")
                     .Help("Orders the journal recorded as received")
                     .Register(reg);
  auto& finished = BuildCounter()
                     .Name("ordernode_orders_finished_total")
                     .Help("Orders that reached a final state, committed by the journal")
                     .Register(reg);
  auto& seconds = BuildHistogram()
                    .Name("ordernode_order_duration_seconds")
                    .Help("Time from an order's acceptance to its final state")
                    .Register(reg);
  auto& queued = BuildGauge()
                   .Name("ordernode_dispatcher_queued_orders")
                   .Help("Orders waiting in a region's dispatcher")
                   .Register(reg);
  auto& held = BuildGauge()
                 .Name("ordernode_processor_held_orders")
                 .Help("Orders a region's processors hold")
                 .Register(reg);
  auto& busy = BuildGauge()
                 .Name("ordernode_processors_busy")
                 .Help("Processors of a region holding at least one order")
                 .Register(reg);
  auto& workers =
    BuildGauge().Name("ordernode_processors").Help("Processors of a region").Register(reg);
  auto& restarts = BuildCounter()
                     .Name("ordernode_processor_restarts_total")
                     .Help("Processors a region's dispatcher replaced after they died")
                     .Register(reg);
  auto& retries = BuildCounter()
                    .Name("ordernode_shipping_retries_total")
                    .Help("Shipping attempts retried after a failure")
                    .Register(reg);
  auto names = regions;
  names.push_back("other");
  for (auto& name : names) {
    auto r = std::make_unique<region_metrics>();
    r->name = name;
    for (int v = 0; v < 2; ++v) {
      prometheus::Labels labels{{"region", name}, {"vip", vip_value[v]}};
      auto with_state = [&](const char* state) {
        auto result = labels;
        result.emplace("state", state);
        return result;
      };
      r->accepted[v] = &accepted.Add(labels);
      r->completed[v] = &finished.Add(with_state("completed"));
      r->failed[v] = &finished.Add(with_state("failed"));
      r->rejected[v] = &finished.Add(with_state("rejected"));
      r->dead_letters[v] = &finished.Add(with_state("dead_letter"));
      r->completed_seconds[v] = &seconds.Add(with_state("completed"), order_buckets);
      r->failed_seconds[v] = &seconds.Add(with_state("failed"), order_buckets);
      r->queued[v] = &queued.Add(labels);
    }
    prometheus::Labels labels{{"region", name}};
    r->held = &held.Add(labels);
    r->busy_workers = &busy.Add(labels);
    r->workers = &workers.Add(labels);
    r->worker_restarts = &restarts.Add(labels);
    r->shipping_retries = &retries.Add(labels);
    regions_.push_back(std::move(r));
  }
  in_flight_ = &BuildGauge()
                  .Name("ordernode_orders_in_flight")
                  .Help("Accepted orders not yet finished")
                  .Register(reg)
                  .Add({});
  stage_in_ = &BuildCounter()
                 .Name("ordernode_stage_messages_in_total")
                 .Help("Messages a stage received")
                 .Register(reg);
  stage_out_ = &BuildCounter()
                  .Name("ordernode_stage_messages_out_total")
                  .Help("Orders a stage passed on downstream")
                  .Register(reg);
  stage_errors_ = &BuildCounter()
                     .Name("ordernode_stage_errors_total")
                     .Help("Errors a stage reported")
                     .Register(reg);
  stage_seconds_ = &BuildHistogram()
                      .Name("ordernode_stage_duration_seconds")
                      .Help("Time an order spends in a stage (processing, one shipping attempt)")
                      .Register(reg);
  journal_.batch_rows = &BuildHistogram()
                           .Name("ordernode_journal_batch_rows")
                           .Help("Rows in one journal commit")
                           .Register(reg)
                           .Add({}, batch_buckets);
  journal_.commit_seconds = &BuildHistogram()
                               .Name("ordernode_journal_commit_seconds")
                               .Help("Duration of one journal commit")
                               .Register(reg)
                               .Add({}, commit_buckets);
  journal_.commit_failures = &BuildCounter()
                                .Name("ordernode_journal_commit_failures_total")
                                .Help("Journal commits that failed and were retried")
                                .Register(reg)
                                .Add({});
  journal_.failing = &BuildGauge()
                        .Name("ordernode_journal_failing")
                        .Help("1 while journal commits fail and new orders are refused")
                        .Register(reg)
                        .Add({});
  auto counter = [&](const char* name, const char* help) {
    return &BuildCounter().Name(name).Help(help).Register(reg).Add({});
  };
  auto gauge = [&](const char* name, const char* help) {
    return &BuildGauge().Name(name).Help(help).Register(reg).Add({});
  };
  broker_.publishes =
    counter("ordernode_broker_publishes_total", "Messages published to the broker");
  auto& confirms = BuildCounter()
                     .Name("ordernode_broker_confirms_total")
                     .Help("Publisher confirms from the broker, by outcome")
                     .Register(reg);
  broker_.confirms_ack = &confirms.Add({{"outcome", "ack"}});
  broker_.confirms_nack = &confirms.Add({{"outcome", "nack"}});
  broker_.deliveries =
    counter("ordernode_broker_deliveries_total", "Messages delivered by the broker to the node");
  broker_.acks = counter("ordernode_broker_acks_total", "Deliveries the node acknowledged");
  broker_.outbox_backlog =
    gauge("ordernode_broker_outbox_backlog", "Messages waiting for a publish or a confirm");
  broker_.lag_seconds = gauge("ordernode_broker_lag_seconds",
                              "Age of the oldest outbox message the broker has not confirmed");
  broker_.queue_depth =
    gauge("ordernode_broker_queue_depth", "Messages ready in the consumed queue");
  auto& connected = BuildGauge()
                      .Name("ordernode_broker_connected")
                      .Help("1 while the connection of the publisher or the consumer is up")
                      .Register(reg);
  broker_.connected[0] = &connected.Add({{"role", "publisher"}});
  broker_.connected[1] = &connected.Add({{"role", "consumer"}});
  broker_.consumers =
    gauge("ordernode_broker_consumers", "Consumers of the queues this node consumes, all nodes'");
  alerts_ = &BuildCounter()
               .Name("ordernode_watchdog_alerts_total")
               .Help("Alerts the in-process watchdog raised")
               .Register(reg);
  for (auto* name : {"throughput_drop", "error_rate", "broker_lag"})
    alerts_->Add({{"alert", name}});
}

stage_metrics node_metrics::stage(const std::string& name, const std::string& actor) {
  prometheus::Labels labels{{"stage", name}};
  auto& dir = actors_ ? *actors_ : *fallback_actors_;
  return {&stage_in_->Add(labels),
          &stage_out_->Add(labels),
          &stage_errors_->Add(labels),
          &stage_seconds_->Add(labels, stage_buckets),
          dir.counters(actor.empty() ? name : actor, name),
          weak_from_this().lock()};
}

region_metrics& node_metrics::region(const std::string& name) {
  for (size_t i = 0; i + 1 < regions_.size(); ++i)
    if (regions_[i]->name == name)
      return *regions_[i];
  return *regions_.back();
}

void node_metrics::accepted(const order& x) {
  region_of(x).accepted[vip_index(x)]->Increment();
}

void node_metrics::finished(const order& x, order_state state, double seconds) {
  auto& r = region_of(x);
  auto v = vip_index(x);
  switch (state) {
    case order_state::completed:
      r.completed[v]->Increment();
      if (seconds >= 0)
        r.completed_seconds[v]->Observe(seconds);
      return;
    case order_state::failed:
      r.failed[v]->Increment();
      if (seconds >= 0)
        r.failed_seconds[v]->Observe(seconds);
      return;
    case order_state::rejected:
      r.rejected[v]->Increment();
      return;
    case order_state::dead_letter:
      r.dead_letters[v]->Increment();
      return;
    default:
      return;
  }
}

void node_metrics::alert(const std::string& name) {
  alerts_->Add({{"alert", name}}).Increment();
}

order_counts node_metrics::counts() const {
  order_counts result;
  for (auto& r : regions_) {
    for (int v = 0; v < 2; ++v) {
      result.accepted += r->accepted[v]->Value();
      result.completed += r->completed[v]->Value();
      result.failed +=
        r->failed[v]->Value() + r->rejected[v]->Value() + r->dead_letters[v]->Value();
    }
  }
  return result;
}

std::vector<std::shared_ptr<prometheus::Collectable>> node_metrics::collectables() const {
  std::vector<std::shared_ptr<prometheus::Collectable>> result{registry_};
  if (actor_collectable_)
    result.push_back(actor_collectable_);
  return result;
}

std::shared_ptr<node_metrics> or_unrecorded(std::shared_ptr<node_metrics> x) {
  if (x)
    return x;
  return std::make_shared<node_metrics>(std::vector<std::string>{}, nullptr);
}

std::string render_metrics(const node_metrics& x) {
  std::vector<prometheus::MetricFamily> families;
  for (auto& c : x.collectables()) {
    auto more = c->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  std::ostringstream out;
  prometheus::TextSerializer{}.Serialize(out, families);
  return out.str();
}

bool node_metrics::journal_failing() const {
  return journal_.failing->Value() > 0;
}

}  // namespace ordernode
