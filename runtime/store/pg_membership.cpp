#include <unistd.h>

#include <cerrno>
#include <csignal>

#include "runtime/core/errors.hpp"
#include "runtime/store/membership.hpp"
#include "runtime/store/pg_connection.hpp"
#include "runtime/store/pg_schema.hpp"
#include "runtime/store/state_sql.hpp"

namespace ordernode {

namespace {

std::string join_names(const std::vector<std::string>& xs) {
  std::string result;
  for (auto& x : xs)
    result += (result.empty() ? "" : ",") + x;
  return result;
}

// Whether the process `pid` of this host is gone. A restart in a container may get the pid of
// its predecessor: that one is gone too.
bool process_gone(int32_t pid) {
  return pid == static_cast<int32_t>(::getpid())
         || (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH);
}

class pg_membership : public membership {
public:
  pg_membership(std::string url, std::chrono::milliseconds timeout)
      : url_(std::move(url)), timeout_(timeout) {}

  caf::error join(const node_info& self, caf::timespan lease) override {
    self_ = self;
    if (auto err = ready())
      return err;
    auto old = conn_->query(std::string{"SELECT host, pid, left_at, "} + pg_clock
                              + " - heartbeat, heartbeat FROM nodes WHERE id = $1",
                            {self.id});
    if (!old)
      return old.error();
    std::string seen = "-1";
    if (old->size() > 0) {
      auto host = old->text(0, 0);
      auto pid = static_cast<int32_t>(old->int64(0, 1));
      auto age = old->int64(0, 3);
      auto alive = old->int64(0, 2) == 0 && age < lease.count();
      if (alive && !(host == self.host && process_gone(pid)))
        return make_error(errc::node_id_taken,
                          "node id \"" + self.id + "\" is taken by a live node (process "
                            + std::to_string(pid) + " on " + host + ", heartbeat "
                            + std::to_string(age / 1000000)
                            + " ms ago): set another node.id, or stop that node");
      seen = old->text(0, 4);
    }
    auto rows = conn_->query(
      std::string{"INSERT INTO nodes(id, http, admin, metrics, regions, version, host, pid, "
                  "started_at, heartbeat) VALUES($1, $2, $3, $4, $5, $6, $7, $8, "}
        + pg_clock + ", " + pg_clock
        + ") ON CONFLICT (id) DO UPDATE SET http = EXCLUDED.http, admin = EXCLUDED.admin, "
          "metrics = EXCLUDED.metrics, regions = EXCLUDED.regions, version = EXCLUDED.version, "
          "host = EXCLUDED.host, pid = EXCLUDED.pid, started_at = EXCLUDED.started_at, "
          "heartbeat = EXCLUDED.heartbeat, left_at = 0, in_flight = 0, finished = 0, "
          "finished_rate = 0 WHERE nodes.heartbeat = $9 RETURNING id",
      {self.id, self.http, self.admin, self.metrics, join_names(self.regions), self.version,
       self.host, std::to_string(self.pid), seen});
    if (!rows)
      return rows.error();
    if (rows->size() == 0)
      return make_error(
        errc::node_id_taken,
        "node id \"" + self.id + "\" was taken by a node starting at the same time");
    return caf::none;
  }

  caf::error advertise(const node_info& self) override {
    self_ = self;
    if (auto err = ready())
      return err;
    auto rows = conn_->query(
      "UPDATE nodes SET http = $4, admin = $5, metrics = $6 WHERE id = $1 AND host = $2 AND "
      "pid = $3",
      {self.id, self.host, std::to_string(self.pid), self.http, self.admin, self.metrics});
    return rows ? caf::none : rows.error();
  }

  caf::error beat(const node_load& load) override {
    if (auto err = ready())
      return err;
    auto rows = conn_->query(
      std::string{"UPDATE nodes SET heartbeat = "} + pg_clock
        + ", left_at = 0, in_flight = $4, finished = $5, finished_rate = $6 "
          "WHERE id = $1 AND host = $2 AND pid = $3 RETURNING id",
      {self_.id, self_.host, std::to_string(self_.pid), std::to_string(load.in_flight),
       std::to_string(load.finished), std::to_string(load.finished_rate)});
    if (!rows)
      return rows.error();
    if (rows->size() == 0)
      return make_error(errc::node_id_taken,
                        "node id \"" + self_.id + "\" was taken over by another process");
    return caf::none;
  }

  caf::expected<std::vector<orphaned_orders>> orphans(const std::vector<std::string>& regions,
                                                      caf::timespan lease) override {
    if (auto err = ready())
      return err;
    auto names = pg_array::of(regions);
    auto rows = conn_->query(
      "SELECT o.owner, COUNT(*) FROM orders o LEFT JOIN nodes n ON n.id = o.owner "
      "WHERE o.state NOT IN "
        + final_states_sql()
        + " AND o.owner <> $1 AND o.region = ANY($2::text[]) AND (n.id IS NULL OR "
          "n.left_at <> 0 OR n.heartbeat < "
        + pg_clock + " - $3::bigint) GROUP BY o.owner ORDER BY o.owner",
      {self_.id, names.str(), std::to_string(lease.count())});
    if (!rows)
      return rows.error();
    std::vector<orphaned_orders> result;
    for (int i = 0; i < rows->size(); ++i)
      result.push_back({rows->text(i, 0), static_cast<uint64_t>(rows->int64(i, 1))});
    return result;
  }

  caf::error leave() override {
    if (auto err = ready())
      return err;
    auto rows = conn_->query(std::string{"UPDATE nodes SET left_at = "} + pg_clock
                               + ", in_flight = 0, finished_rate = 0 WHERE id = $1 AND "
                                 "host = $2 AND pid = $3",
                             {self_.id, self_.host, std::to_string(self_.pid)});
    return rows ? caf::none : rows.error();
  }

private:
  caf::error ready() {
    if (conn_ && conn_->alive())
      return caf::none;
    conn_.reset();
    auto conn = pg_connection::open(url_, timeout_);
    if (!conn)
      return conn.error();
    conn_ = std::move(*conn);
    return caf::none;
  }

  std::string url_;
  std::chrono::milliseconds timeout_;
  node_info self_;
  std::unique_ptr<pg_connection> conn_;
};

}  // namespace

caf::expected<std::unique_ptr<membership>> open_pg_membership(const std::string& url,
                                                              std::chrono::milliseconds timeout) {
  auto result = std::make_unique<pg_membership>(url, timeout);
  return std::unique_ptr<membership>{std::move(result)};
}

}  // namespace ordernode
