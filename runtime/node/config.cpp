#include "runtime/node/config.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <set>
#include <sstream>
#include <thread>

#include <caf/config_option_set.hpp>
#include <caf/settings.hpp>

#include "runtime/admin/admin_protocol.hpp"
#include "runtime/core/errors.hpp"
#include "runtime/core/messages.hpp"
#include "runtime/store/pg_store.hpp"

namespace ordernode {

namespace {

constexpr std::array<const char*, 6> log_levels{"trace", "debug", "info", "warn", "error", "off"};

caf::error bad(const std::string& key, const std::string& why) {
  return make_error(errc::bad_config, key + ": " + why);
}

}  // namespace

node_config::node_config() {
  // CAF starts at least four workers; on a small machine they would crowd out the journal.
  set("scheduler.max-threads",
      static_cast<size_t>(std::max(1u, std::thread::hardware_concurrency())));
  // An idle worker goes from spinning straight to waiting on its queue, skipping the phase
  // that polls every 50 us: that polling cost the node about a fifth of its CPU per order
  // (ordernode-http-bench, 2 cores), and work in a worker's own queue still wakes it at once.
  set("work-stealing.moderate-poll-attempts", size_t{0});
  add_error_category(caf::atom("ordernode"), render_error);
  add_message_type<order>("ordernode::order");
  add_message_type<order_event>("ordernode::order_event");
  add_message_type<error_report>("ordernode::error_report");
  add_message_type<finished_order>("ordernode::finished_order");
  add_message_type<std::vector<finished_order>>("std::vector<ordernode::finished_order>");
  add_message_type<stored_order>("ordernode::stored_order");
  add_message_type<std::vector<stored_order>>("std::vector<ordernode::stored_order>");
  add_message_type<totals>("ordernode::totals");
  add_message_type<order_state>("ordernode::order_state");
  add_message_type<admission>("ordernode::admission");
  add_message_type<admission_note>("ordernode::admission_note");
  add_message_type<std::vector<admission_note>>("std::vector<ordernode::admission_note>");
  add_admin_types(*this);
  add_message_type<order_change>("ordernode::order_change");
  add_message_type<std::vector<order_change>>("std::vector<ordernode::order_change>");
  add_message_type<refusal>("ordernode::refusal");
  own_options_ = custom_options_.size();
  tables_ = own_tables();
  for (auto& table : tables_)
    table.declare(custom_options_);
  for (auto i = custom_options_.begin() + static_cast<ptrdiff_t>(own_options_);
       i != custom_options_.end(); ++i) {
    auto value = i->get();
    std::ostringstream text;
    if (value && caf::holds_alternative<double>(*value))
      text << caf::get<double>(*value);
    else if (value)
      text << caf::to_string(*value);
    defaults_.push_back(text.str());
  }
}

std::string node_config::options_help() const {
  std::string result =
    "Usage: ordernode [--config-file=FILE] [--GROUP.KEY=VALUE ...]\n"
    "A config file takes the same keys: KEY = VALUE under a [GROUP] line. CAF's own options\n"
    "(scheduler, middleman, ...) are listed by --long-help.\n";
  std::string group;
  size_t k = 0;
  for (auto i = custom_options_.begin() + static_cast<ptrdiff_t>(own_options_);
       i != custom_options_.end(); ++i, ++k) {
    auto category = std::string{i->category().data(), i->category().size()};
    if (category != group) {
      group = category;
      result += "\n[" + group + "]\n";
    }
    auto name = std::string{i->full_name().data(), i->full_name().size()};
    if (group == "global")
      name = std::string{i->long_name().data(), i->long_name().size()};
    std::string line = "  --" + name;
    if (!i->is_flag() || defaults_[k] != "false")
      line += "=" + defaults_[k];
    if (line.size() + 2 > 44)
      line += "\n" + std::string(44, ' ');
    else
      line.resize(44, ' ');
    result += line + std::string{i->description().data(), i->description().size()} + "\n";
  }
  return result;
}

namespace {

constexpr off_t max_config_file_size = 1 << 20;

// CAF reads the config file with an ifstream: a folder or /dev/zero would be skipped or read
// without end, and opening a FIFO would block the node before it can take a signal.
caf::error check_config_file(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0)
    return make_error(errc::bad_config,
                      "config file " + path + ": cannot be read: " + std::strerror(errno));
  if (!S_ISREG(st.st_mode))
    return make_error(errc::bad_config, "config file " + path + ": is not a regular file");
  if (st.st_size > max_config_file_size)
    return make_error(errc::bad_config, "config file " + path + ": is larger than "
                                          + std::to_string(max_config_file_size >> 20) + " MiB");
  if (::access(path.c_str(), R_OK) != 0)
    return make_error(errc::bad_config,
                      "config file " + path + ": cannot be read: " + std::strerror(errno));
  return caf::none;
}

}  // namespace

caf::error node_config::load(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string path;
    if (arg.rfind("--config-file=", 0) == 0)
      path = arg.substr(14);
    else if (arg == "--config-file" && i + 1 < argc)
      path = argv[i + 1];
    else
      continue;
    if (auto err = check_config_file(path))
      return err;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h" || arg == "-?") {
      std::cout << options_help();
      cli_helptext_printed = true;
      return caf::none;
    }
  }
  // CAF takes booleans on the command line as bare flags only and refuses an empty value;
  // also accept --key=true|false and --key= (an empty string).
  caf::actor_system_config::string_list args;
  std::vector<std::pair<const caf::config_option*, caf::config_value>> direct;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      auto value = arg.substr(eq + 1);
      auto* opt = custom_options_.qualified_name_lookup(arg.substr(2, eq - 2));
      if (opt != nullptr && opt->is_flag() && (value == "true" || value == "false")) {
        direct.emplace_back(opt, caf::config_value{value == "true"});
        continue;
      }
      if (opt != nullptr && value.empty() && opt->type_name() == "string") {
        direct.emplace_back(opt, caf::config_value{std::string{}});
        continue;
      }
    }
    args.push_back(std::move(arg));
  }
  if (auto err = parse(std::move(args))) {
    auto what = describe(err);
    if (what.find("\"line\"") != std::string::npos)
      what = "config file " + config_file_path + ": " + what;
    return make_error(errc::bad_config, what);
  }
  for (auto& [opt, value] : direct)
    opt->store(value);
  if (cli_helptext_printed || version_requested)
    return caf::none;
  if (auto err = check_file_keys())
    return err;
  if (auto err = check_values())
    return err;
  if (node.id.empty()) {
    std::array<char, 256> host{};
    gethostname(host.data(), host.size() - 1);
    node.id = std::string{host.data()} + ":" + http.bind.substr(http.bind.rfind(':') + 1);
  }
  if (broker.node_id.empty())
    broker.node_id = node.id;
  return caf::none;
}

bool node_config::clustered() const {
  return cluster.enabled && location_of(journal).engine == journal_engine::postgresql;
}

caf::error node_config::check_file_keys() const {
  if (config_file_path.empty() || config_file_path == "caf-application.ini")
    return caf::none;
  auto file = parse_config_file(config_file_path.c_str());
  if (!file)
    return make_error(errc::bad_config, config_file_path + ": " + describe(file.error()));
  for (auto& [group, entries] : *file) {
    auto* dict = caf::get_if<caf::settings>(&entries);
    if (dict == nullptr)
      return bad(group, "unknown key (expected a [group])");
    for (auto& [name, value] : *dict) {
      auto key = group + "." + name;
      auto* opt = custom_options_.qualified_name_lookup(group, name);
      if (opt == nullptr)
        return bad(key, "unknown key");
      if (auto err = opt->check(value))
        return bad(key, "expected a value of type "
                          + std::string{opt->type_name().data(), opt->type_name().size()});
    }
  }
  return caf::none;
}

caf::error node_config::check_values() const {
  for (auto& table : tables_)
    if (auto err = table.apply())
      return err;
  return caf::none;
}

const char* to_string(log_level x) {
  return log_levels[static_cast<size_t>(x)];
}

std::vector<option_table> node_config::own_tables() {
  option_table global{"global"};
  global.add(version_requested, "version", "print the version and exit")
    .add(replay_dead_letters, "replay-dead-letters",
         "move dead-lettered orders back into the flow at start");
  option_table routing{"routing"};
  routing
    .add(regions, "regions", "regions, each with an optional worker count: [\"eu=4\", \"us\"]",
         text_rule::not_empty)
    .rule("regions", [this] {
      std::set<std::string> seen;
      for (auto& route : routes()) {
        if (route.name.empty())
          return std::string{"a region name must not be empty"};
        if (route.workers < 1 || route.workers > 1024)
          return "worker count of " + route.name + " must be 1 to 1024";
        if (!seen.insert(route.name).second)
          return "region " + route.name + " appears twice";
      }
      return std::string{};
    });
  option_table aggregator{"aggregator"};
  aggregator.add(node.report_interval, "report-interval", "time between two totals log lines",
                 span_rule::positive);
  option_table node_group{"node"};
  node_group
    .add(node.id, "id",
         "this node's name in the cluster, unique among live nodes (empty: host name:HTTP port)")
    .add(node.max_in_flight, "max-in-flight", "accepted orders not yet finished, at most", 1,
         100000000)
    .add(node.max_recoveries, "max-recoveries",
         "restarts an unfinished order may see before it is dead-lettered", 0, 1000000)
    .add(node.shutdown_deadline, "shutdown-deadline", "time to finish in-flight orders on exit",
         span_rule::not_negative);
  option_table admin_group{"admin"};
  admin_group
    .add(admin.port, "port", "TCP port of the admin endpoint for ordernode-shell (0: off)", 0,
         65535)
    .add(admin.bind, "bind", "address the admin endpoint listens on")
    .add(admin.token, "token",
         "token every admin command must carry (empty: generated into admin.token-file)")
    .add(admin.token_file, "token-file",
         "file of the generated token, mode 0600 (empty: ordernode-admin.token by the journal)")
    .add(admin.max_message, "max-message",
         "bytes of one message from an admin peer; a larger one closes its connection", 1024,
         64 << 20)
    .rule("bind", [this] {
      if (admin.port == 0)
        return std::string{};
      if (!admin.bind.empty() && admin.bind.front() == '[')
        return "takes an IPv6 address without brackets, got \"" + admin.bind + "\"";
      return bind_problem(admin.bind + ":" + std::to_string(admin.port));
    });
  option_table metrics_group{"metrics"};
  metrics_group
    .add(metrics.bind, "bind", "host:port serving Prometheus /metrics (port 0: any; empty: off)")
    .rule("bind",
          [this] { return metrics.bind.empty() ? std::string{} : bind_problem(metrics.bind); });
  option_table log{"log"};
  log.add(node.level, "level", "trace, debug, info, warn, error or off", log_levels)
    .add(node.log_file, "file", "also append the log to this file");
  std::vector<option_table> result;
  result.push_back(std::move(global));
  result.push_back(option_table_of(source));
  result.push_back(option_table_of(validation));
  result.push_back(std::move(routing));
  result.push_back(option_table_of(processor));
  result.push_back(option_table_of(shipper));
  result.push_back(option_table_of(journal));
  result.push_back(option_table_of(supervisor));
  result.push_back(option_table_of(notifier));
  result.push_back(std::move(aggregator));
  result.push_back(std::move(node_group));
  result.push_back(std::move(admin_group));
  result.push_back(option_table_of(http));
  result.push_back(std::move(metrics_group));
  result.push_back(option_table_of(watchdog));
  result.push_back(option_table_of(broker));
  result.push_back(option_table_of(cluster));
  result.push_back(std::move(log));
  return result;
}

std::vector<region_route> node_config::routes() const {
  auto default_workers =
    processor.workers > 0 ? processor.workers
                          : static_cast<int32_t>(std::max(1u, std::thread::hardware_concurrency()));
  std::vector<region_route> result;
  for (auto& entry : regions) {
    auto eq = entry.find('=');
    if (eq == std::string::npos) {
      result.push_back({entry, default_workers});
      continue;
    }
    region_route route{entry.substr(0, eq), -1};
    try {
      size_t used = 0;
      route.workers = std::stoi(entry.substr(eq + 1), &used);
      if (used != entry.size() - eq - 1)
        route.workers = -1;
    } catch (const std::exception&) {
      route.workers = -1;
    }
    result.push_back(std::move(route));
  }
  return result;
}

sqlite_options sqlite_options_of(const journal_options& x) {
  sqlite_options result;
  result.path = x.path;
  result.fsync_every_commit = x.synchronous == journal_sync::full;
  result.wal_limit_bytes = int64_t{x.wal_limit_mib} << 20;
  return result;
}

caf::expected<std::unique_ptr<order_store>> open_journal_store(const journal_options& x,
                                                               const std::string& node,
                                                               bool cluster) {
  auto where = location_of(x);
  if (where.engine == journal_engine::sqlite)
    return open_sqlite_store(sqlite_options_of(x));
  pg_options options;
  options.node = node;
  options.cluster = cluster;
  options.url = where.target;
  options.statement_timeout =
    std::chrono::duration_cast<std::chrono::milliseconds>(x.statement_timeout);
  auto store = open_pg_store(options);
  if (!store)
    return make_error(errc::store_failure, to_string(where) + ": " + describe(store.error()));
  return store;
}

std::string describe(const journal_options& x) {
  auto where = location_of(x);
  if (where.engine == journal_engine::postgresql)
    return "journal.url=" + to_string(where) + " journal.max-batch=" + std::to_string(x.max_batch)
           + " (PostgreSQL, synchronous_commit on: a commit is on the server's disk)";
  auto full = x.synchronous == journal_sync::full;
  return std::string{"journal.synchronous="} + to_string(x.synchronous) + " journal.wal-limit="
         + std::to_string(x.wal_limit_mib) + " journal.max-batch=" + std::to_string(x.max_batch)
         + (full ? " (fsync at every commit)" : " (fsync at checkpoints only)");
}

}  // namespace ordernode
