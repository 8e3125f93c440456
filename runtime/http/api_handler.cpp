#include "runtime/http/api_handler.hpp"

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/core/errors.hpp"
#include "runtime/http/static_files.hpp"
#include "runtime/core/random.hpp"

namespace ordernode {

// Read-only journal connections, at most one per HTTP thread at a time.
class reader_pool {
public:
  explicit reader_pool(journal_location where) : where_(std::move(where)) {}

  // Runs `f` with a reader; an error when no reader can be opened.
  template <class F>
  auto with_reader(F f) -> caf::expected<decltype(f(std::declval<journal_reader&>()))> {
    std::unique_ptr<journal_reader> reader;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (!free_.empty()) {
        reader = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (!reader) {
      auto opened = open_journal_reader(where_);
      if (!opened)
        return opened.error();
      reader = std::move(*opened);
    }
    auto result = f(*reader);
    // A reader that failed may have lost its connection: the next request opens a new one.
    if (result) {
      std::lock_guard<std::mutex> guard{mtx_};
      free_.push_back(std::move(reader));
    }
    return result;
  }

private:
  journal_location where_;
  std::mutex mtx_;
  std::vector<std::unique_ptr<journal_reader>> free_;
};

// Runs one job at a time on a thread of its own: a report reads the whole journal, which must
// neither hold an HTTP thread nor run twice at once.
class report_worker {
public:
  report_worker() : thread_([this] { run(); }) {}

  ~report_worker() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  // False when a job is queued or running already.
  bool try_post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (busy_ || stopping_)
        return false;
      busy_ = true;
      job_ = std::move(job);
    }
    cv_.notify_one();
    return true;
  }

private:
  void run() {
    std::unique_lock<std::mutex> guard{mtx_};
    for (;;) {
      cv_.wait(guard, [this] { return stopping_ || job_; });
      if (stopping_)
        return;
      auto job = std::move(job_);
      job_ = nullptr;
      guard.unlock();
      job();
      guard.lock();
      busy_ = false;
    }
  }

  std::mutex mtx_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

namespace {

using json = nlohmann::json;

api_response json_response(unsigned status, std::string body) {
  api_response result;
  result.status = status;
  result.body = std::move(body);
  return result;
}

api_response text_response(std::string content_type, std::string body) {
  api_response result;
  result.content_type = std::move(content_type);
  result.body = std::move(body);
  return result;
}

api_response unavailable(const std::string& error, const std::string& message,
                         int32_t retry_after) {
  auto result = error_response({503, error, "", message});
  result.headers.emplace_back("Retry-After", std::to_string(retry_after));
  return result;
}

// The answer to a refusal: every one but `conflict` may succeed on a retry.
api_response refused(refusal x, const std::string& message, int32_t retry_after) {
  if (x == refusal::conflict)
    return error_response({409, to_string(x), "Idempotency-Key", message});
  return unavailable(to_string(x), message, retry_after);
}

api_response store_failure(const caf::error& err) {
  spdlog::error("HTTP API cannot read the journal: {}", describe(err));
  return error_response({503, "store_failure", "", "the journal cannot be read: " + describe(err)});
}

bool is_json_type(std::string x) {
  std::transform(x.begin(), x.end(), x.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto semi = x.find(';');
  auto type = x.substr(0, semi);
  while (!type.empty() && std::isspace(static_cast<unsigned char>(type.back())))
    type.pop_back();
  return type == "application/json";
}

}  // namespace

api_response error_response(const api_error& x) {
  return json_response(x.status, to_json(x));
}

api_handler::api_handler(api_context ctx, flow_gateway& gateway)
    : ctx_(std::move(ctx)),
      gateway_(gateway),
      readers_(std::make_unique<reader_pool>(ctx_.journal_at)),
      reports_(std::make_unique<report_worker>()) {}

api_handler::~api_handler() = default;

void api_handler::handle(std::shared_ptr<api_exchange> x) {
  auto& req = x->request;
  auto target = parse_target(req.target);
  if (!target)
    return x->reply(error_response({400, "invalid_target", "", "the request target is malformed"}));
  auto r = route_request(req.method, target->path);
  if (!r.match) {
    auto res = error_response(r.error);
    if (!r.allow.empty())
      res.headers.emplace_back("Allow", r.allow);
    return x->reply(std::move(res));
  }
  switch (r.match->which) {
    case route::healthz:
      return x->reply(json_response(200, R"({"status":"up"})"));
    case route::readyz:
      return x->reply(readyz());
    case route::metrics:
      if (!ctx_.hooks.metrics)
        return x->reply(error_response({404, "not_found", "", "metrics are not available"}));
      return x->reply(
        text_response("text/plain; version=0.0.4; charset=utf-8", ctx_.hooks.metrics()));
    case route::report:
      return report(std::move(x));
    case route::stats:
      return stats(std::move(x));
    case route::cluster:
      return x->reply(cluster());
    case route::list_orders:
      return x->reply(list_orders(*target));
    case route::post_order:
      return post_order(std::move(x));
    case route::get_order:
      return x->reply(get_order(r.match->param));
    case route::websocket: {
      auto res = error_response({426, "upgrade_required", "", "/ws takes WebSocket connections"});
      res.headers.emplace_back("Upgrade", "websocket");
      return x->reply(std::move(res));
    }
    case route::static_file: {
      auto* file = ctx_.pages ? ctx_.pages->find(target->path) : nullptr;
      if (!file)
        return x->reply(error_response({404, "not_found", "", "no resource at " + target->path}));
      auto res = text_response(file->content_type, file->body);
      res.headers.emplace_back("Cache-Control", "no-cache");
      return x->reply(std::move(res));
    }
  }
}

void api_handler::post_order(std::shared_ptr<api_exchange> x) {
  auto& req = x->request;
  if (draining_)
    return x->reply(
      refused(refusal::shutting_down, "the node is shutting down", ctx_.options.retry_after));
  if (!ready_)
    return x->reply(refused(refusal::recovering, "the node is recovering its unfinished orders",
                            ctx_.options.retry_after));
  if (!is_json_type(req.content_type))
    return x->reply(error_response(
      {415, "unsupported_media_type", "Content-Type", "Content-Type must be application/json"}));
  order item;
  if (auto err = parse_order(req.body, item))
    return x->reply(error_response(*err));
  if (req.has_idempotency_key) {
    if (auto err = check_idempotency_key(req.idempotency_key))
      return x->reply(error_response(*err));
    item.id = order_id_for_key(req.idempotency_key);
  } else {
    item.id = make_uuid();
  }
  item.created_at = now();
  auto invalid = validate_order(item, ctx_.rules, ctx_.regions);
  x->timed_out = [id = item.id, retry_after = ctx_.options.retry_after] {
    auto res = error_response(
      {504, "outcome_unknown", "",
       "the node did not answer in time; order " + id
         + " may still be accepted: look it up at its statusUrl, or retry with the same "
           "Idempotency-Key"});
    auto doc = json::parse(res.body);
    doc["id"] = id;
    doc["statusUrl"] = "/api/orders/" + id;
    res.body = doc.dump();
    res.headers.emplace_back("Retry-After", std::to_string(retry_after));
    return res;
  };
  auto submitted = item;
  gateway_.submit(std::move(submitted), [this, x, item = std::move(item),
                                         invalid = std::move(invalid)](const admission_note& note) {
    x->resume(
      [this, x, item, invalid, note] { x->reply(admission_response(item, note, invalid)); });
  });
}

api_response api_handler::admission_response(const order& x, const admission_note& note,
                                             const std::optional<api_error>& invalid) {
  if (!note.taken()) {
    spdlog::info("order {}: HTTP submission refused: {}: {}", x.id, to_string(note.refused),
                 note.detail);
    return refused(note.refused, note.detail, ctx_.options.retry_after);
  }
  auto replayed = note.outcome == admission::duplicate;
  if (replayed) {
    auto stored = readers_->with_reader([&](journal_reader& r) { return r.find(x.id); });
    if (!stored)
      return store_failure(stored.error());
    if (!*stored)
      return store_failure(stored->error());
    auto& found = **stored;
    if (!found)
      return error_response(
        {409, "conflict", "Idempotency-Key", "order " + x.id + " is not in the journal yet"});
    if (!same_order(found->item, x))
      return error_response({409, "conflict", "Idempotency-Key",
                             "Idempotency-Key was used for a different order " + x.id});
  }
  api_response res;
  if (invalid) {
    res.status = invalid->status;
    auto doc = json::parse(to_json(*invalid));
    doc["id"] = x.id;
    doc["statusUrl"] = "/api/orders/" + x.id;
    doc["replayed"] = replayed;
    res.body = doc.dump();
  } else {
    res.status = 202;
    res.body =
      accepted_json(x.id, replayed, note.outcome == admission::forwarded, ctx_.cluster.clustered);
  }
  // A forwarded order is in the journal of the node that takes it from the broker: on a
  // cluster, the journal this node reads too.
  if (note.outcome != admission::forwarded || ctx_.cluster.clustered)
    res.headers.emplace_back("Location", "/api/orders/" + x.id);
  if (replayed)
    res.headers.emplace_back("Idempotent-Replayed", "true");
  return res;
}

api_response api_handler::get_order(const std::string& id) {
  auto found = readers_->with_reader([&](journal_reader& r) { return r.find(id); });
  if (!found)
    return store_failure(found.error());
  if (!*found)
    return store_failure(found->error());
  if (!**found)
    return error_response({404, "not_found", "id", "no order with id " + id});
  return json_response(200,
                       record_json(***found).dump(-1, ' ', false, json::error_handler_t::replace));
}

api_response api_handler::list_orders(const request_target& target) {
  order_filter filter;
  if (auto err = parse_list_query(target, static_cast<size_t>(ctx_.options.list_limit), filter))
    return error_response(*err);
  auto xs = readers_->with_reader([&](journal_reader& r) { return r.list(filter); });
  if (!xs)
    return store_failure(xs.error());
  if (!*xs)
    return store_failure(xs->error());
  return json_response(200, listing_json(**xs, filter.limit));
}

api_response api_handler::readyz() {
  json doc{{"ready", false}};
  std::string why;
  if (draining_)
    why = "shutting down";
  else if (!ready_)
    why = "recovering";
  else if (!gateway_.journal_up())
    why = "the journal stopped";
  else if (ctx_.journal_failing && ctx_.journal_failing())
    why = "the journal cannot commit";
  else if (auto probe = readers_->with_reader([](journal_reader& r) { return r.find(""); });
           !probe || !*probe)
    why = "the journal cannot be read";
  if (!why.empty()) {
    doc["reason"] = why;
    auto res = json_response(503, doc.dump());
    res.headers.emplace_back("Retry-After", std::to_string(ctx_.options.retry_after));
    return res;
  }
  doc["ready"] = true;
  return json_response(200, doc.dump());
}

void api_handler::report(std::shared_ptr<api_exchange> x) {
  if (!ctx_.hooks.report)
    return x->reply(error_response({404, "not_found", "", "the report is not available"}));
  auto posted = reports_->try_post([this, x] {
    auto html = ctx_.hooks.report();
    x->resume([x, html = std::move(html)]() mutable {
      if (!html)
        return x->reply(error_response({503, "report_failed", "", describe(html.error())}));
      x->reply(text_response("text/html; charset=utf-8", std::move(*html)));
    });
  });
  if (!posted)
    x->reply(unavailable("report_busy", "another report is being rendered; try again shortly",
                         ctx_.options.retry_after));
}

void api_handler::stats(std::shared_ptr<api_exchange> x) {
  gateway_.fetch_totals([this, x](caf::expected<totals> t) {
    x->resume([this, x, t = std::move(t)] {
      if (!t)
        return x->reply(error_response(
          {503, "unavailable", "", "the aggregator did not answer: " + describe(t.error())}));
      auto extra = ctx_.extra_stats ? ctx_.extra_stats() : json::object();
      // A member's aggregator counts what this node finished; the cluster's totals come from
      // the journal, each order once.
      if (ctx_.cluster.clustered) {
        auto all = readers_->with_reader([](journal_reader& r) { return r.finished_totals(""); });
        if (!all || !*all)
          return x->reply(store_failure(!all ? all.error() : all->error()));
        extra["node"] = json::parse(totals_json(*t, {{"id", ctx_.cluster.node}}));
        extra["cluster"] = json::parse(totals_json(**all, json::object()));
      }
      x->reply(json_response(200, totals_json(*t, extra)));
    });
  });
}

api_response api_handler::cluster() {
  std::vector<node_record> nodes;
  if (ctx_.cluster.clustered) {
    auto xs = readers_->with_reader([](journal_reader& r) { return r.nodes(); });
    if (!xs)
      return store_failure(xs.error());
    if (!*xs)
      return store_failure(xs->error());
    nodes = std::move(**xs);
  }
  return json_response(200, cluster_json(ctx_.cluster, nodes, ctx_.regions));
}

}  // namespace ordernode
