// The node's configuration: CAF's own actor_system_config plus the ordernode options.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <caf/actor_system_config.hpp>
#include <caf/timespan.hpp>

#include "actors/cluster.hpp"
#include "actors/journal.hpp"
#include "actors/notifier.hpp"
#include "actors/processor.hpp"
#include "actors/shipper.hpp"
#include "actors/source.hpp"
#include "actors/supervisor.hpp"
#include "actors/watchdog.hpp"
#include "runtime/broker/broker_options.hpp"
#include "runtime/core/order_rules.hpp"
#include "runtime/http/http_options.hpp"
#include "runtime/store/sqlite_store.hpp"

namespace ordernode {

struct region_route {
  std::string name;
  int32_t workers = 0;
};

enum class log_level : uint8_t { trace, debug, info, warn, error, off };

// "trace", "debug", ...: the name spdlog and the config use.
const char* to_string(log_level x);

struct node_options {
  std::string id;  // Empty: the host name and the HTTP port, "host:8080".
  int32_t max_in_flight = 10000;
  int32_t max_recoveries = 5;
  caf::timespan shutdown_deadline = std::chrono::seconds(10);
  caf::timespan report_interval = std::chrono::seconds(10);
  log_level level = log_level::info;
  std::string log_file;
};

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
  order_rules validation;
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
  cluster_options cluster;

  // Whether this node runs as a member of a cluster: cluster.enabled on a PostgreSQL journal.
  bool clustered() const;

  // The configured regions with their worker counts resolved.
  std::vector<region_route> routes() const;

  bool version_requested = false;
  bool replay_dead_letters = false;

  // ordernode's own options by group, with their defaults: the text of `--help`.
  std::string options_help() const;

private:
  std::vector<option_table> tables_;   // Every option of ordernode, by group.
  size_t own_options_ = 0;             // Index of the first option after CAF's own.
  std::vector<std::string> defaults_;  // The default of each own option, rendered.

  caf::error check_file_keys() const;
  caf::error check_values() const;
  std::vector<option_table> own_tables();
};

// The SQLite store as the journal options ask for it.
sqlite_options sqlite_options_of(const journal_options& x);

// Opens the journal's store on the engine journal.url names, as the options ask for it. On
// PostgreSQL the store records `node` as the owner of what it writes; with `cluster` it resumes
// only that node's orders.
caf::expected<std::unique_ptr<order_store>> open_journal_store(const journal_options& x,
                                                               const std::string& node = {},
                                                               bool cluster = false);

// One line naming the journal options a measurement ran with, and what a commit survives.
std::string describe(const journal_options& x);

}  // namespace ordernode
