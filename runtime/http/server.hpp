// The node's HTTP server: the API, the /ws live feed and the web page, served by Beast on a
// small thread pool of its own, never on CAF's scheduler.
#pragma once

#include <cstdint>
#include <memory>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/timespan.hpp>

#include "runtime/http/http_options.hpp"
#include "runtime/http/http_port.hpp"

namespace ordernode {

// Raises the soft limit of open files (RLIMIT_NOFILE) to the hard one, so that connections are
// bounded by http.max-connections rather than by a low default; returns the soft limit now in
// force. http_server::start calls it; a second call changes nothing.
uint64_t raise_open_files_limit();

class http_server {
public:
  // Listens on options.bind and starts the threads. The server answers /readyz with 503
  // until set_ready(true).
  static caf::expected<std::unique_ptr<http_server>> start(caf::actor_system& sys, http_port port,
                                                           const http_options& options,
                                                           http_hooks hooks = {});

  ~http_server();

  // The port it listens on (useful with port 0).
  uint16_t port() const;

  void set_ready(bool value);

  // Stops accepting, waits at most `deadline` for the requests in flight to get their answers,
  // then closes every connection and joins the threads.
  void stop(caf::timespan deadline);

  class impl;

private:
  explicit http_server(std::unique_ptr<impl> x);

  std::unique_ptr<impl> impl_;
};

}  // namespace ordernode
