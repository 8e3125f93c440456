// The cluster's members as the journal database records them: who runs, where, and since when.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <caf/error.hpp>
#include <caf/expected.hpp>
#include <caf/timespan.hpp>

#include "runtime/core/messages.hpp"

namespace ordernode {

// What a node tells the others about itself.
struct node_info {
  std::string id;
  std::string http;     // host:port of the REST API; empty when off.
  std::string admin;    // host:port of the admin endpoint; empty when off.
  std::string metrics;  // host:port of /metrics; empty when off.
  std::vector<std::string> regions;
  std::string version;
  std::string host;  // The machine's name: with `pid`, tells a crashed process from a live one.
  int32_t pid = 0;
};

// What a node reports at each heartbeat.
struct node_load {
  uint64_t in_flight = 0;
  uint64_t finished = 0;       // Since the node started.
  double finished_rate = 0.0;  // Per second, over the last heartbeat.
};

// A node whose orders wait for a new owner: down, gone or unknown, with unfinished orders.
struct orphaned_orders {
  std::string node;
  uint64_t orders = 0;
};

class membership {
public:
  virtual ~membership() = default;

  // Registers this node. Fails with errc::node_id_taken while another process with its id is
  // alive: its heartbeat is younger than `lease`, and it is not a dead process of this host.
  virtual caf::error join(const node_info& self, caf::timespan lease) = 0;

  // Updates the addresses of this node, once its listeners know their ports.
  virtual caf::error advertise(const node_info& self) = 0;

  // Renews this node's heartbeat. Fails with errc::node_id_taken once another process took the
  // id over (this one was down past its lease).
  virtual caf::error beat(const node_load& load) = 0;

  // The nodes, other than this one, that are down or gone and own unfinished orders of
  // `regions`, or orders without a known owner.
  virtual caf::expected<std::vector<orphaned_orders>> orphans(
    const std::vector<std::string>& regions, caf::timespan lease) = 0;

  // Marks this node as gone: the others take its unfinished orders at once.
  virtual caf::error leave() = 0;
};

// The members of the cluster on the PostgreSQL database at `url`.
caf::expected<std::unique_ptr<membership>> open_pg_membership(const std::string& url,
                                                              std::chrono::milliseconds timeout);

}  // namespace ordernode
