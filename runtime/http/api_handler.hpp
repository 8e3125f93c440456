// The HTTP API over plain requests and responses: routes, codecs, journal reads, submissions.
// The server turns Beast messages into these and back.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <set>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "runtime/core/order_rules.hpp"
#include "runtime/http/gateway.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/http/http_port.hpp"
#include "runtime/http/json_codec.hpp"
#include "runtime/http/router.hpp"
#include "runtime/http/static_files.hpp"

namespace ordernode {

struct api_request {
  std::string method;
  std::string target;
  std::string content_type;
  bool has_idempotency_key = false;
  std::string idempotency_key;
  std::string body;
};

struct api_response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

api_response error_response(const api_error& x);

// One request in flight: `reply` must run once, on an HTTP thread; `resume` runs a
// continuation there (the gateway calls back on threads of the actor system).
struct api_exchange {
  api_request request;
  std::function<void(std::function<void()>)> resume;
  std::function<void(api_response)> reply;
  // Set by the handler when a late answer needs more than a plain 503 "timeout": the server
  // answers with it once http.request-timeout passed.
  std::function<api_response()> timed_out;
};

// What the API needs of the node.
struct api_context {
  http_options options;
  http_hooks hooks;
  order_rules rules;
  std::set<std::string> regions;
  journal_location journal_at;
  std::shared_ptr<const static_files> pages;    // The web page; none: every file is a 404.
  std::function<nlohmann::json()> extra_stats;  // Merged into GET /api/stats.
  std::function<bool()> journal_failing;        // True while journal commits fail.
  cluster_facts cluster;
};

class reader_pool;
class report_worker;

class api_handler {
public:
  api_handler(api_context ctx, flow_gateway& gateway);

  ~api_handler();

  void handle(std::shared_ptr<api_exchange> x);

  // Recovery done: /readyz may answer 200.
  void set_ready(bool value) {
    ready_ = value;
  }

  // Shutting down: /readyz answers 503, POST /api/orders answers 503.
  void set_draining() {
    draining_ = true;
  }

private:
  void post_order(std::shared_ptr<api_exchange> x);
  api_response admission_response(const order& x, const admission_note& note,
                                  const std::optional<api_error>& invalid);
  api_response get_order(const std::string& id);
  api_response list_orders(const request_target& target);
  api_response readyz();
  void stats(std::shared_ptr<api_exchange> x);

  api_response cluster();
  void report(std::shared_ptr<api_exchange> x);

  api_context ctx_;
  flow_gateway& gateway_;
  std::unique_ptr<reader_pool> readers_;
  std::unique_ptr<report_worker> reports_;
  std::atomic<bool> ready_{false};
  std::atomic<bool> draining_{false};
};

}  // namespace ordernode
