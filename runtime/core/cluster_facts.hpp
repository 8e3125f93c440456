// Who this node is in its cluster, as the HTTP API and the admin shell tell it.
#pragma once

#include <string>

#include <caf/timespan.hpp>

namespace ordernode {

struct cluster_facts {
  std::string node;
  bool clustered = false;  // Members on a PostgreSQL journal; else the node runs alone.
  caf::timespan lease{0};  // A member without a heartbeat this long is down.
};

}  // namespace ordernode
