// The node's configuration: CAF's own actor_system_config plus the ordernode options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "actors/notifier.hpp"
#include "runtime/broker/broker_options.hpp"
#include "runtime/http/http_options.hpp"
#include "actors/watchdog.hpp"

namespace ordernode {

struct source_options {
  bool enabled = true;
  caf::timespan interval = std::chrono::seconds(1);
  int32_t burst = 1;
  double vip_share = 0.1;
  double invalid_share = 0.05;
  bool print = true;
  std::vector<std::string> products{"keyboard", "mouse",  "monitor", "laptop",
                                    "headset",  "webcam", "dock",    "cable"};
  std::vector<std::string> customers{"alice", "bob", "carol", "dave", "erin", "frank"};
};

struct validation_options {
  int32_t min_quantity = 0;
  int32_t max_quantity = 1000000;
  int32_t max_name_length = 200;
};

struct region_route {
  std::string name;
  int32_t workers = 0;
};

struct processor_options {
  int32_t workers = 0;  // Per region; 0 means the number of cores.
  int32_t max_in_flight = 8;
  caf::timespan latency = std::chrono::milliseconds(20);
  double failure_rate = 0.02;
  std::string fail_match;
};

struct shipper_options {
  caf::timespan latency = std::chrono::milliseconds(10);
  double failure_rate = 0.05;
  int32_t max_retries = 3;
  caf::timespan retry_delay = std::chrono::seconds(2);
  std::string backoff = "fixed";  // Or "exponential": the delay doubles per attempt.
  caf::timespan max_retry_delay = std::chrono::minutes(1);
  double jitter = 0;  // Each delay varies randomly by up to this share.
  caf::timespan attempt_timeout = std::chrono::seconds(30);
  std::string fail_match;
  int32_t fail_first = 0;
  std::string hang_match;  // Products containing this never get an answer from the mock.
  std::string ledger;      // The mock carrier's record of shipments, one line per order.
};

struct journal_options {
  std::string path = "ordernode.db";
  int32_t max_batch = 4096;
  std::string synchronous = "normal";
  int32_t wal_limit_mib = 64;  // The write-ahead log starts over once it passes this.
  std::string failures_file;   // Also append each failed order here as a JSON line.
};

struct supervisor_options {
  int32_t max_restarts = 5;  // Within `restart_window`; one more stops the node.
  caf::timespan restart_window = std::chrono::seconds(10);
  caf::timespan backoff = std::chrono::milliseconds(100);  // Doubles per restart in the window.
  caf::timespan max_backoff = std::chrono::seconds(5);
  std::vector<std::string> inject_crash;  // "stage@delay": crash a stage once, for tests.
};

struct node_options {
  int32_t max_in_flight = 10000;
  int32_t max_recoveries = 5;
  caf::timespan shutdown_deadline = std::chrono::seconds(10);
  caf::timespan report_interval = std::chrono::seconds(10);
  std::string log_level = "info";
  std::string log_file;
};

// One planned crash of a stage: "shipper@2s" crashes the shipper 2 s after the start.
struct crash_injection {
  std::string stage;
  caf::timespan delay{0};
};

std::optional<crash_injection> parse_crash_injection(const std::string& x);

struct admin_options {
  int32_t port = 4242;  // 0 turns the admin endpoint off.
  std::string bind = "127.0.0.1";
  std::string token;            // Empty: the one in `token_file`, generated at the first start.
  std::string token_file;       // Empty: ordernode-admin.token in the journal's folder.
  int32_t max_message = 65536;  // Bytes of one message from a peer; a larger one closes it.
};

struct metrics_options {
  std::string bind = "127.0.0.1:9464";  // host:port of /metrics; empty: no listener.
};

class node_config : public caf::actor_system_config {
public:
  node_config();

  // Parses the command line and the config file, then checks every value; the error names
  // the offending key.
  caf::error load(int argc, char** argv);

  source_options source;
  validation_options validation;
  std::vector<std::string> regions{"eu", "us", "ap"};
  processor_options processor;
  shipper_options shipper;
  journal_options journal;
  notifier_options notifier;
  supervisor_options supervisor;
  node_options node;
  admin_options admin;
  http_options http;
  metrics_options metrics;
  watchdog_options watchdog;
  broker_options broker;

  // The configured regions with their worker counts resolved.
  std::vector<region_route> routes() const;

  bool version_requested = false;
  bool replay_dead_letters = false;

private:
  caf::error check_file_keys() const;
  caf::error check_values() const;
};

}  // namespace ordernode
