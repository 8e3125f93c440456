#include "runtime/store/pg_store.hpp"

#include <optional>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "runtime/core/errors.hpp"
#include "runtime/core/random.hpp"
#include "runtime/store/finished_totals.hpp"
#include "runtime/store/pg_connection.hpp"
#include "runtime/store/pg_schema.hpp"
#include "runtime/store/state_sql.hpp"

namespace ordernode {

namespace {

// A commit whose outcome the lost connection did not tell: it may or may not have happened.
struct unsettled_commit {
  int64_t token = 0;
  timestamp at = 0;
  int server_pid = 0;  // The server process that ran it, and may still be running it.
  pg_array new_ids;
  pg_array outbox_exchanges;
  pg_array outbox_ids;
  pg_array outbox_created;
};

class pg_store : public order_store {
public:
  explicit pg_store(pg_options options) : options_(std::move(options)), writer_(make_uuid()) {}

  ~pg_store() override {
    if (conn_ && conn_->alive())
      conn_->query("DELETE FROM journal_writers WHERE writer = $1", {writer_});
  }

  caf::error open() {
    if (auto err = connect())
      return err;
    return migrate();
  }

  caf::expected<std::vector<int64_t>> commit(const journal_batch& batch) override {
    if (auto err = ready())
      return err;
    auto at = now();
    auto token = ++last_token_;
    std::optional<size_t> added_rows;
    std::optional<size_t> added_outbox;
    std::optional<size_t> deleted_outbox;
    size_t sent = 0;
    if (!batch.new_orders.empty()) {
      pg_array ids, names, quantities, regions, customers, vips, created;
      for (auto& x : batch.new_orders) {
        ids.add(x.id);
        names.add(x.product_name);
        quantities.add(int64_t{x.quantity});
        regions.add(x.region);
        customers.add(x.customer);
        vips.add(x.vip);
        created.add(int64_t{x.created_at});
      }
      conn_->send("insert_orders",
                  {ids.str(), names.str(), quantities.str(), regions.str(), customers.str(),
                   vips.str(), created.str(), state_name(order_state::received), std::to_string(at),
                   std::to_string(static_cast<int>(order_state::received)),
                   std::to_string(static_cast<int>(stage_id::intake)), options_.node});
      added_rows = sent++;
    }
    std::optional<size_t> updated;
    std::vector<int64_t> changed;
    if (!batch.changes.empty()) {
      pg_array seqs, ns, states, stages, details, ats, epochs;
      pg_array failed_seqs, failed_stages, failed_causes, failed_ats, failed_epochs;
      std::unordered_map<int64_t, const state_change*> latest;
      for (auto& x : batch.changes) {
        seqs.add(x.seq);
        ns.add(int64_t{x.n});
        states.add(int64_t{static_cast<int>(x.event.state)});
        stages.add(int64_t{static_cast<int>(x.event.stage)});
        details.add(x.event.detail);
        ats.add(int64_t{x.event.at});
        epochs.add(x.epoch);
        latest[x.seq] = &x;
        if (x.event.state == order_state::failed) {
          failed_seqs.add(x.seq);
          failed_stages.add(to_string(x.event.stage));
          failed_causes.add(x.event.detail);
          failed_ats.add(int64_t{x.event.at});
          failed_epochs.add(x.epoch);
        }
      }
      pg_array order_seqs, order_states, order_details, order_ats, order_epochs, attempts, dues;
      for (auto& [seq, x] : latest) {
        changed.push_back(seq);
        order_seqs.add(seq);
        order_states.add(state_name(x->event.state));
        order_details.add(x->event.detail);
        order_ats.add(int64_t{x->event.at});
        order_epochs.add(x->epoch);
        attempts.add(int64_t{x->event.attempt});
        dues.add(int64_t{x->event.due});
      }
      conn_->send("update_orders",
                  {order_seqs.str(), order_states.str(), order_details.str(), order_ats.str(),
                   order_epochs.str(), options_.node, attempts.str(), dues.str()});
      updated = sent++;
      conn_->send("insert_events", {seqs.str(), ns.str(), states.str(), stages.str(), details.str(),
                                    ats.str(), epochs.str(), options_.node});
      ++sent;
      if (!failed_seqs.empty()) {
        conn_->send("insert_failures", {failed_seqs.str(), failed_stages.str(), failed_causes.str(),
                                        failed_ats.str(), options_.node, failed_epochs.str()});
        ++sent;
      }
    }
    if (!batch.errors.empty()) {
      pg_array ids, stages, types, causes, ats;
      for (auto& x : batch.errors) {
        ids.add(x.order_id);
        stages.add(to_string(x.stage));
        types.add(to_string(x.type));
        causes.add(x.cause);
        ats.add(int64_t{x.at});
      }
      conn_->send("insert_errors", {ids.str(), stages.str(), types.str(), causes.str(), ats.str()});
      ++sent;
    }
    unsettled_commit unsettled;
    unsettled.token = token;
    unsettled.at = at;
    if (!batch.outbox.empty()) {
      pg_array keys, payloads;
      for (auto& x : batch.outbox) {
        unsettled.outbox_exchanges.add(x.exchange);
        keys.add(x.routing_key);
        unsettled.outbox_ids.add(x.message_id);
        payloads.add(x.payload);
        unsettled.outbox_created.add(int64_t{x.created_at});
      }
      conn_->send("insert_outbox",
                  {unsettled.outbox_exchanges.str(), keys.str(), unsettled.outbox_ids.str(),
                   payloads.str(), unsettled.outbox_created.str(), options_.node});
      added_outbox = sent++;
    }
    if (!batch.published.empty()) {
      pg_array seqs;
      for (auto seq : batch.published)
        seqs.add(seq);
      conn_->send("delete_outbox", {seqs.str()});
      deleted_outbox = sent++;
    }
    conn_->send("mark_commit", {writer_, std::to_string(token)});
    auto results = conn_->sync();
    if (!results) {
      if (!conn_->alive()) {
        unsettled.server_pid = conn_->backend_pid();
        for (auto& x : batch.new_orders)
          unsettled.new_ids.add(x.id);
        unsettled_ = std::move(unsettled);
        conn_.reset();
      }
      return results.error();
    }
    auto& rows = *results;
    fenced_.clear();
    if (updated) {
      std::unordered_set<int64_t> written;
      auto& xs = rows[*updated];
      for (int i = 0; i < xs.size(); ++i)
        written.insert(xs.int64(i, 0));
      for (auto seq : changed)
        if (written.count(seq) == 0)
          fenced_.push_back(seq);
    }
    if (added_outbox)
      outbox_rows_ += rows[*added_outbox].affected();
    if (deleted_outbox)
      outbox_rows_ -= rows[*deleted_outbox].affected();
    std::vector<int64_t> result(batch.new_orders.size(), 0);
    if (added_rows) {
      std::unordered_map<std::string, int64_t> seq_of;
      auto& added = rows[*added_rows];
      for (int i = 0; i < added.size(); ++i)
        seq_of.emplace(added.text(i, 0), added.int64(i, 1));
      for (size_t i = 0; i < batch.new_orders.size(); ++i) {
        // A second order with the same id in one batch is a duplicate of the first.
        auto j = seq_of.find(batch.new_orders[i].id);
        if (j != seq_of.end()) {
          result[i] = j->second;
          seq_of.erase(j);
        }
      }
    }
    return result;
  }

  caf::error probe() override {
    if (auto err = ready())
      return err;
    return conn_->exec("SELECT 1");
  }

  caf::expected<std::vector<stored_entry>> unfinished() override {
    if (auto err = ready())
      return err;
    // Each order taken for this run gets a new epoch: a former run of this node, or a node that
    // shared the database without a cluster, writes nothing more for it.
    return read_entries(conn_->query(
      "WITH taken AS (UPDATE orders SET owner = $1, epoch = epoch + 1 WHERE state NOT IN "
        + final_states_sql() + " AND (NOT $2::boolean OR owner = $1) RETURNING *) "
        + entry_select("taken"),
      {options_.node, options_.cluster ? "true" : "false"}));
  }

  std::vector<int64_t> fenced() override {
    return fenced_;
  }

  caf::expected<std::vector<stored_entry>> take_over(const std::string& from,
                                                     const std::vector<std::string>& regions,
                                                     caf::timespan lease) override {
    if (auto err = ready())
      return err;
    auto names = pg_array::of(regions);
    auto lease_ns = std::to_string(lease.count());
    // The advisory lock lets one node at a time take over `from`; SKIP LOCKED leaves the rows
    // of a commit still running for a later pass.
    return read_entries(conn_->query(
      std::string{"WITH taken AS (UPDATE orders o SET owner = $1, epoch = o.epoch + 1, "
                  "recoveries = o.recoveries + 1 FROM "
                  "(SELECT seq FROM orders WHERE owner = $2 AND state NOT IN "}
        + final_states_sql()
        + " AND region = ANY($3::text[]) AND pg_try_advisory_xact_lock(7303886, hashtext($2)) "
          "AND NOT EXISTS (SELECT 1 FROM nodes n WHERE n.id = $2 AND n.left_at = 0 AND "
          "n.heartbeat >= "
        + pg_clock
        + " - $4::bigint) FOR UPDATE SKIP LOCKED) c WHERE o.seq = c.seq RETURNING o.*), "
          "events AS (INSERT INTO event_log(order_seq, n, state, stage, detail, at) "
          "SELECT t.seq, (SELECT COALESCE(MAX(e.n), -1) + 1 FROM event_log e "
          "WHERE e.order_seq = t.seq), s.code, $5::smallint, 'takeover from ' || "
          "CASE WHEN $2 = '' THEN 'a node without an id' ELSE 'node ' || $2 END || "
          "', epoch ' || t.epoch, $6::bigint FROM taken t JOIN state_names s ON s.name = t.state) "
        + entry_select("taken", 2),
      {options_.node, from, names.str(), lease_ns,
       std::to_string(static_cast<int>(stage_id::cluster)), std::to_string(now())}));
  }

  caf::expected<totals> finished_totals() override {
    if (auto err = ready())
      return err;
    // A member of a cluster counts what it finished: the cluster's totals are the sum.
    auto rows = options_.cluster ? conn_->query(owned_finished_totals_sql, {options_.node})
                                 : conn_->query(finished_totals_sql);
    if (!rows)
      return rows.error();
    totals result;
    for (int i = 0; i < rows->size(); ++i)
      add_finished_row(result, rows->text(i, 0), rows->text(i, 1),
                       static_cast<uint64_t>(rows->int64(i, 2)), rows->int64(i, 3));
    sum_regions(result);
    return result;
  }

  caf::error count_recovery(const std::vector<int64_t>& seqs) override {
    if (auto err = ready())
      return err;
    pg_array xs;
    for (auto seq : seqs)
      xs.add(seq);
    auto rows = conn_->query(
      "UPDATE orders SET recoveries = recoveries + 1 WHERE seq = ANY($1::bigint[])", {xs.str()});
    return rows ? caf::none : rows.error();
  }

  caf::expected<outbox_page> outbox(int64_t after, size_t limit) override {
    if (auto err = ready())
      return err;
    auto rows = conn_->query(
      "SELECT seq, exchange, routing_key, message_id, payload, created_at FROM outbox "
      "WHERE seq > $1 AND owner = $3 ORDER BY seq LIMIT $2",
      {std::to_string(after), std::to_string(limit), options_.node});
    if (!rows)
      return rows.error();
    outbox_page result;
    for (int i = 0; i < rows->size(); ++i)
      result.messages.push_back(outbox_message{rows->int64(i, 0), rows->text(i, 1),
                                               rows->text(i, 2), rows->text(i, 3), rows->text(i, 4),
                                               rows->int64(i, 5)});
    result.backlog = static_cast<uint64_t>(std::max<int64_t>(0, outbox_rows_));
    auto first = conn_->query("SELECT created_at FROM outbox WHERE owner = $1 ORDER BY seq LIMIT 1",
                              {options_.node});
    if (!first)
      return first.error();
    if (first->size() > 0)
      result.oldest = first->int64(0, 0);
    return result;
  }

  caf::expected<uint64_t> replay_dead_letters() override {
    if (auto err = ready())
      return err;
    auto at = std::to_string(now());
    auto rows = conn_->query(
      "WITH moved AS (UPDATE orders SET state = 'received', detail = 'replayed', recoveries = 0, "
      "updated_at = $1, owner = $4, epoch = epoch + 1 WHERE state = 'dead_letter' "
      "RETURNING seq), "
      "events AS (INSERT INTO event_log(order_seq, n, state, stage, detail, at) "
      "SELECT m.seq, (SELECT COALESCE(MAX(e.n), -1) + 1 FROM event_log e "
      "WHERE e.order_seq = m.seq), $2, $3, 'replayed from dead_letter', $1 FROM moved m) "
      "SELECT COUNT(*) FROM moved",
      {at, std::to_string(static_cast<int>(order_state::received)),
       std::to_string(static_cast<int>(stage_id::replay)),
       options_.cluster ? std::string{} : options_.node});
    if (!rows)
      return rows.error();
    return static_cast<uint64_t>(rows->int64(0, 0));
  }

private:
  // Selects the entries of the CTE `from`, VIP first, then oldest first. `next` is the number
  // of events the statement adds per order besides those in its snapshot.
  static std::string entry_select(const char* from, int next = 1) {
    return std::string{
             "SELECT t.seq, t.id, t.product_name, t.quantity, t.region, t.customer, "
             "t.vip, t.created_at, t.state, t.recoveries, "
             "(SELECT COALESCE(MAX(e.n), -1) + "}
           + std::to_string(next)
           + " FROM event_log e WHERE e.order_seq = t.seq), t.epoch, t.attempt, t.due FROM " + from
           + " t ORDER BY t.vip DESC, t.seq";
  }

  static caf::expected<std::vector<stored_entry>> read_entries(caf::expected<pg_rows> rows) {
    if (!rows)
      return rows.error();
    std::vector<stored_entry> result;
    result.reserve(static_cast<size_t>(rows->size()));
    for (int i = 0; i < rows->size(); ++i) {
      stored_entry x;
      x.seq = rows->int64(i, 0);
      x.item.item.id = rows->text(i, 1);
      x.item.item.product_name = rows->text(i, 2);
      x.item.item.quantity = static_cast<int32_t>(rows->int64(i, 3));
      x.item.item.region = rows->text(i, 4);
      x.item.item.customer = rows->text(i, 5);
      x.item.item.vip = rows->boolean(i, 6);
      x.item.item.created_at = rows->int64(i, 7);
      x.item.state = parse_order_state(rows->text(i, 8)).value_or(order_state::received);
      x.item.recoveries = static_cast<int32_t>(rows->int64(i, 9));
      x.next_event = static_cast<int32_t>(rows->int64(i, 10));
      x.epoch = rows->int64(i, 11);
      x.item.attempt = static_cast<int32_t>(rows->int64(i, 12));
      x.item.due = rows->int64(i, 13);
      result.push_back(std::move(x));
    }
    return result;
  }

  caf::error connect() {
    auto conn =
      pg_connection::open(options_.url, options_.statement_timeout, options_.connect_timeout);
    if (!conn)
      return conn.error();
    conn_ = std::move(*conn);
    return caf::none;
  }

  // Connects again after a lost connection, prepares the commit's statements and settles the
  // commit the connection was lost in.
  caf::error ready() {
    if (conn_ && conn_->alive())
      return caf::none;
    conn_.reset();
    if (auto err = connect())
      return err;
    if (auto err = prepare())
      return fail(std::move(err));
    if (auto err = settle())
      return fail(std::move(err));
    return caf::none;
  }

  caf::error fail(caf::error err) {
    conn_.reset();
    return err;
  }

  caf::error prepare() {
    for (auto& [name, sql] : pg_commit_statements())
      if (auto err = conn_->prepare(name, sql))
        return err;
    return caf::none;
  }

  // The journal refused the new orders of a failed commit, and it commits its other rows
  // again. Should the lost commit have happened after all, its new orders and outbox messages
  // are taken back; its other rows are written once, whoever writes them first.
  caf::error settle() {
    if (!unsettled_)
      return caf::none;
    auto& x = *unsettled_;
    // The server may still run the lost commit: end its process first, so that the token read
    // below tells for good whether the commit happened.
    if (x.server_pid != 0 && x.server_pid != conn_->backend_pid()) {
      auto pid = std::to_string(x.server_pid);
      auto gone = conn_->query("SELECT pg_terminate_backend($1)", {pid});
      for (int i = 0; gone && i < 500; ++i) {
        gone = conn_->query("SELECT COUNT(*) FROM pg_stat_activity WHERE pid = $1", {pid});
        if (!gone || gone->int64(0, 0) == 0)
          break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      if (!gone)
        return gone.error();
    }
    auto rows = conn_->query(
      "WITH landed AS (SELECT 1 FROM journal_writers WHERE writer = $1 AND last_commit = $2), "
      "gone AS (DELETE FROM orders WHERE EXISTS (SELECT 1 FROM landed) AND id = ANY($3::text[]) "
      "AND updated_at = $4 AND state = $5 RETURNING seq), "
      "gone_events AS (DELETE FROM event_log WHERE order_seq IN (SELECT seq FROM gone)), "
      "gone_outbox AS (DELETE FROM outbox WHERE EXISTS (SELECT 1 FROM landed) AND "
      "(exchange, message_id, created_at) IN "
      "(SELECT * FROM unnest($6::text[], $7::text[], $8::bigint[]))) "
      "SELECT COUNT(*) FROM landed",
      {writer_, std::to_string(x.token), x.new_ids.str(), std::to_string(x.at),
       state_name(order_state::received), x.outbox_exchanges.str(), x.outbox_ids.str(),
       x.outbox_created.str()});
    if (!rows)
      return rows.error();
    unsettled_.reset();
    return count_outbox();
  }

  caf::error migrate() {
    if (auto err = conn_->exec("BEGIN"))
      return err;
    auto result = [&]() -> caf::error {
      if (auto err = conn_->exec(pg_schema_lock))
        return err;
      // A journal at this version is left alone: its DDL would wait for the exclusive locks
      // of tables that running nodes write, and deadlock with their commits.
      auto exists = conn_->query("SELECT to_regclass('schema_version') IS NOT NULL");
      if (!exists)
        return exists.error();
      int64_t found = 0;
      if (exists->boolean(0, 0)) {
        auto version = conn_->query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
        if (!version)
          return version.error();
        found = version->int64(0, 0);
      }
      if (found > pg_schema_version)
        return make_error(errc::store_failure, "journal schema version " + std::to_string(found)
                                                 + " is newer than this build's "
                                                 + std::to_string(pg_schema_version));
      if (found < pg_schema_version) {
        if (auto err = conn_->exec(pg_schema))
          return err;
        // The unfinished orders by owner: what a node resumes and what a takeover moves.
        if (auto err = conn_->exec("CREATE INDEX IF NOT EXISTS orders_open ON orders(owner, "
                                   "region) WHERE state NOT IN "
                                   + final_states_sql()))
          return err;
        auto added = conn_->query("INSERT INTO schema_version(version, applied_at) VALUES($1, $2)",
                                  {std::to_string(pg_schema_version), std::to_string(now())});
        if (!added)
          return added.error();
      }
      return name_codes();
    }();
    if (result) {
      conn_->exec("ROLLBACK");
      return result;
    }
    if (auto err = conn_->exec("COMMIT"))
      return err;
    if (auto err = count_outbox())
      return err;
    return prepare();
  }

  // The outbox backlog is counted as rows come and go; it starts from a count at each start
  // and after a lost commit.
  caf::error count_outbox() {
    auto count = conn_->query("SELECT COUNT(*) FROM outbox WHERE owner = $1", {options_.node});
    if (!count)
      return count.error();
    outbox_rows_ = count->int64(0, 0);
    return caf::none;
  }

  caf::error name_codes() {
    pg_array state_codes, state_names, stage_codes, stage_names;
    for (auto i = 0; i <= static_cast<int>(last_order_state); ++i) {
      state_codes.add(int64_t{i});
      state_names.add(state_name(static_cast<order_state>(i)));
    }
    for (auto i = 0; i <= static_cast<int>(last_stage_id); ++i) {
      stage_codes.add(int64_t{i});
      stage_names.add(to_string(static_cast<stage_id>(i)));
    }
    for (auto& [table, codes, names] : {std::tuple{"state_names", &state_codes, &state_names},
                                        std::tuple{"stage_names", &stage_codes, &stage_names}}) {
      auto rows = conn_->query(std::string{"INSERT INTO "} + table
                                 + "(code, name) SELECT * FROM unnest($1::smallint[], $2::text[]) "
                                   "ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name",
                               {codes->str(), names->str()});
      if (!rows)
        return rows.error();
    }
    return caf::none;
  }

  pg_options options_;
  std::string writer_;  // This store's row in journal_writers.
  int64_t last_token_ = 0;
  std::unique_ptr<pg_connection> conn_;
  std::optional<unsettled_commit> unsettled_;
  int64_t outbox_rows_ = 0;
  std::vector<int64_t> fenced_;
};

}  // namespace

caf::expected<std::unique_ptr<order_store>> open_pg_store(const pg_options& options) {
  auto result = std::make_unique<pg_store>(options);
  if (auto err = result->open())
    return err;
  return std::unique_ptr<order_store>{std::move(result)};
}

}  // namespace ordernode
