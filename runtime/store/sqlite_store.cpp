#include "runtime/store/sqlite_store.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <SQLiteCpp/SQLiteCpp.h>
#include <sqlite3.h>

#include "runtime/core/errors.hpp"
#include "runtime/store/finished_totals.hpp"
#include "runtime/store/state_sql.hpp"

namespace ordernode {

namespace {

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS schema_version(
  version INTEGER NOT NULL,
  applied_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS orders(
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  product_name TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  region TEXT NOT NULL,
  customer TEXT NOT NULL,
  vip INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  updated_at INTEGER NOT NULL,
  recoveries INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS state_names(
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS stage_names(
  code INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS event_log(
  order_seq INTEGER NOT NULL,
  n INTEGER NOT NULL,
  state INTEGER NOT NULL,
  stage INTEGER NOT NULL,
  detail TEXT NOT NULL DEFAULT '',
  at INTEGER NOT NULL,
  PRIMARY KEY(order_seq, n)) WITHOUT ROWID;
CREATE VIEW IF NOT EXISTS order_events AS
  SELECT e.order_seq, e.n, s.name AS state, g.name AS stage, e.detail, e.at
  FROM event_log e JOIN state_names s ON s.code = e.state JOIN stage_names g ON g.code = e.stage;
CREATE TRIGGER IF NOT EXISTS order_events_insert INSTEAD OF INSERT ON order_events BEGIN
  INSERT INTO event_log(order_seq, n, state, stage, detail, at) VALUES(
    NEW.order_seq,
    (SELECT COALESCE(MAX(n), -1) + 1 FROM event_log WHERE order_seq = NEW.order_seq),
    (SELECT code FROM state_names WHERE name = NEW.state),
    (SELECT code FROM stage_names WHERE name = NEW.stage),
    COALESCE(NEW.detail, ''), NEW.at);
END;
CREATE TABLE IF NOT EXISTS errors(
  id INTEGER PRIMARY KEY,
  order_id TEXT NOT NULL,
  stage TEXT NOT NULL,
  type TEXT NOT NULL,
  cause TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failures(
  id INTEGER PRIMARY KEY,
  order_seq INTEGER NOT NULL,
  stage TEXT NOT NULL,
  cause TEXT NOT NULL,
  at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS failures_by_time ON failures(at);
CREATE INDEX IF NOT EXISTS errors_by_time ON errors(at);
CREATE INDEX IF NOT EXISTS errors_by_type ON errors(type, at);
CREATE VIEW IF NOT EXISTS failed_orders AS
  SELECT o.id AS order_id, o.product_name, o.quantity, o.region, o.customer, o.vip,
         f.stage, f.cause, f.at
  FROM failures f JOIN orders o ON o.seq = f.order_seq;
CREATE TABLE IF NOT EXISTS outbox(
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  exchange TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  message_id TEXT NOT NULL,
  payload TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE VIEW IF NOT EXISTS order_history AS
  SELECT o.id AS order_id, e.state, e.stage, e.detail, e.at
  FROM order_events e JOIN orders o ON o.seq = e.order_seq;
CREATE TABLE IF NOT EXISTS nodes(
  id TEXT PRIMARY KEY,
  http TEXT NOT NULL,
  admin TEXT NOT NULL,
  metrics TEXT NOT NULL,
  regions TEXT NOT NULL,
  version TEXT NOT NULL,
  host TEXT NOT NULL,
  pid INTEGER NOT NULL,
  started_at INTEGER NOT NULL,
  heartbeat INTEGER NOT NULL,
  left_at INTEGER NOT NULL DEFAULT 0,
  in_flight INTEGER NOT NULL DEFAULT 0,
  finished INTEGER NOT NULL DEFAULT 0,
  finished_rate REAL NOT NULL DEFAULT 0);
)sql";

// Schema 4 gives each order an owner node and an epoch, as on PostgreSQL (one node owns all of
// an SQLite journal's orders, so nothing reads them here but the views), and the shipping
// attempt it is at or waits for.
constexpr const char* add_owners = R"sql(
ALTER TABLE orders ADD COLUMN owner TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN attempt INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN due INTEGER NOT NULL DEFAULT 0;
)sql";

// Schema 2 kept each event's state and stage as text in a table order_events with a rowid and
// an index by order. Schema 3 keeps them as codes in event_log, keyed by (order, n), and
// order_events is a view with the names. Run before the schema above is created.
constexpr const char* drop_text_events = R"sql(
DROP VIEW IF EXISTS order_history;
DROP INDEX IF EXISTS order_events_by_order;
ALTER TABLE order_events RENAME TO order_events_v2;
)sql";

constexpr const char* copy_text_events = R"sql(
INSERT INTO event_log(order_seq, n, state, stage, detail, at)
  SELECT e.order_seq, ROW_NUMBER() OVER (PARTITION BY e.order_seq ORDER BY e.rowid) - 1,
         s.code, g.code, e.detail, e.at
  FROM order_events_v2 e JOIN state_names s ON s.name = e.state
                         JOIN stage_names g ON g.name = e.stage;
DROP TABLE order_events_v2;
)sql";

// The `n` of the next event of the order whose `seq` the enclosing query selects.
constexpr const char* next_event_sql =
  "(SELECT COALESCE(MAX(n), -1) + 1 FROM event_log WHERE order_seq = seq)";

// Codes for stage names of old journals that no stage has any more.
constexpr int first_foreign_stage_code = 1000;

constexpr size_t events_per_insert = 64;

// Copies the WAL back into the database file on its own thread and connection, so that the
// writer pays in its own time only for the few frames committed since the last pass.
class checkpointer {
public:
  checkpointer(const std::string& path, int busy_timeout_ms)
      : db_(path, SQLite::OPEN_READWRITE, busy_timeout_ms) {
    // A connection that never read the database has not opened its WAL: checkpoints on it do
    // nothing and report -1 frames.
    db_.exec("SELECT COUNT(*) FROM sqlite_master");
    thread_ = std::thread{[this] {
      run();
    }};
  }

  ~checkpointer() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
    }
    cv_.notify_one();
    thread_.join();
  }

  // Frames of the WAL its last pass copied; the writer sets it to 0 when the WAL starts over.
  int64_t backfilled() const {
    return backfilled_.load(std::memory_order_relaxed);
  }

  void restarted() {
    backfilled_.store(0, std::memory_order_relaxed);
  }

  // Starts the next pass now instead of at its interval, and keeps passing while each one
  // copies more and still leaves frames behind.
  void hurry() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      hurried_ = true;
    }
    cv_.notify_one();
  }

private:
  void run() {
    std::unique_lock<std::mutex> guard{mtx_};
    int last_done = -1;
    while (!stop_) {
      if (!hurried_)
        cv_.wait_for(guard, std::chrono::milliseconds(50));
      if (stop_)
        break;
      guard.unlock();
      int log = 0;
      int done = 0;
      // Busy: the writer is checkpointing itself.
      auto rc =
        sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
      if (rc == SQLITE_OK && done >= 0)
        backfilled_.store(done, std::memory_order_relaxed);
      guard.lock();
      // A reader on an old snapshot stops the copying short of the log's end: no hurry then.
      if (rc != SQLITE_OK || done == log || done <= last_done)
        hurried_ = false;
      last_done = done;
    }
  }

  SQLite::Database db_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool hurried_ = false;
  std::atomic<int64_t> backfilled_{0};
  std::thread thread_;
};

// Past the WAL limit, the writer checkpoints itself once the background pass left at most this
// many frames behind (4 MiB of 4 KiB pages: a few milliseconds of copying).
constexpr int64_t catch_up_frames = 1024;

class sqlite_store : public order_store {
public:
  explicit sqlite_store(const sqlite_options& options)
      : db_(options.path, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE, options.busy_timeout_ms),
        busy_timeout_ms_(options.busy_timeout_ms) {
    db_.exec("PRAGMA journal_mode=WAL");
    db_.exec(options.fsync_every_commit ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL");
    db_.exec("PRAGMA cache_size=-65536");
    db_.exec("PRAGMA wal_autocheckpoint=0");
    db_.exec("PRAGMA journal_size_limit=" + std::to_string(options.wal_limit_bytes));
    sqlite3_wal_hook(db_.getHandle(), &sqlite_store::on_wal_commit, this);
    wal_limit_frames_ = options.wal_limit_bytes / db_.execAndGet("PRAGMA page_size").getInt64();
    next_checkpoint_frames_ = wal_limit_frames_;
    migrate();
    outbox_rows_ = db_.execAndGet("SELECT COUNT(*) FROM outbox").getInt64();
    checkpointer_.emplace(options.path, options.busy_timeout_ms);
    insert_order_.emplace(db_,
                          "INSERT OR IGNORE INTO orders(id, product_name, quantity, region, "
                          "customer, vip, created_at, state, updated_at) "
                          "VALUES(?, ?, ?, ?, ?, ?, ?, '"
                            + state_name(order_state::received) + "', ?)");
    insert_event_.emplace(db_, insert_events_sql(1));
    insert_events_.emplace(db_, insert_events_sql(events_per_insert));
    update_order_.emplace(
      db_,
      "UPDATE orders SET state = ?, detail = ?, updated_at = ?, attempt = ?, due = ? "
      "WHERE seq = ?");
    insert_failure_.emplace(db_,
                            "INSERT INTO failures(order_seq, stage, cause, at) VALUES(?, ?, ?, ?)");
    insert_error_.emplace(db_,
                          "INSERT INTO errors(order_id, stage, type, cause, at) "
                          "VALUES(?, ?, ?, ?, ?)");
    insert_outbox_.emplace(db_,
                           "INSERT INTO outbox(exchange, routing_key, message_id, payload, "
                           "created_at) VALUES(?, ?, ?, ?, ?)");
    delete_outbox_.emplace(db_, "DELETE FROM outbox WHERE seq = ?");
  }

  caf::expected<std::vector<int64_t>> commit(const journal_batch& batch) override {
    try {
      std::vector<int64_t> seqs;
      seqs.reserve(batch.new_orders.size());
      SQLite::Transaction tx(db_);
      auto at = now();
      for (auto& x : batch.new_orders) {
        auto& q = *insert_order_;
        q.bind(1, x.id);
        q.bind(2, x.product_name);
        q.bind(3, x.quantity);
        q.bind(4, x.region);
        q.bind(5, x.customer);
        q.bind(6, x.vip ? 1 : 0);
        q.bind(7, static_cast<int64_t>(x.created_at));
        q.bind(8, static_cast<int64_t>(at));
        q.exec();
        q.reset();
        if (db_.getChanges() == 0) {
          seqs.push_back(0);
          continue;
        }
        auto seq = db_.getLastInsertRowid();
        seqs.push_back(seq);
        insert_event(
          state_change{seq, 0, order_event{x.id, order_state::received, stage_id::intake, "", at}});
      }
      latest_.clear();
      auto& changes = batch.changes;
      size_t i = 0;
      for (; i + events_per_insert <= changes.size(); i += events_per_insert) {
        auto& q = *insert_events_;
        for (size_t j = 0; j < events_per_insert; ++j)
          bind_event(q, static_cast<int>(j * event_columns), changes[i + j]);
        q.exec();
        q.reset();
      }
      for (; i < changes.size(); ++i) {
        insert_event(changes[i]);
      }
      for (auto& change : changes) {
        latest_[change.seq] = &change;
        if (change.event.state == order_state::failed) {
          auto& q = *insert_failure_;
          q.bind(1, static_cast<int64_t>(change.seq));
          q.bind(2, to_string(change.event.stage));
          q.bind(3, change.event.detail);
          q.bind(4, static_cast<int64_t>(change.event.at));
          q.exec();
          q.reset();
        }
      }
      for (auto& [seq, change] : latest_) {
        auto& q = *update_order_;
        q.bind(1, state_name(change->event.state));
        q.bind(2, change->event.detail);
        q.bind(3, static_cast<int64_t>(change->event.at));
        q.bind(4, change->event.attempt);
        q.bind(5, static_cast<int64_t>(change->event.due));
        q.bind(6, static_cast<int64_t>(seq));
        q.exec();
        q.reset();
      }
      for (auto& x : batch.errors) {
        auto& q = *insert_error_;
        q.bind(1, x.order_id);
        q.bind(2, to_string(x.stage));
        q.bind(3, to_string(x.type));
        q.bind(4, x.cause);
        q.bind(5, static_cast<int64_t>(x.at));
        q.exec();
        q.reset();
      }
      for (auto& x : batch.outbox) {
        auto& q = *insert_outbox_;
        q.bind(1, x.exchange);
        q.bind(2, x.routing_key);
        q.bind(3, x.message_id);
        q.bind(4, x.payload);
        q.bind(5, static_cast<int64_t>(x.created_at));
        q.exec();
        q.reset();
      }
      auto outbox_rows = outbox_rows_ + static_cast<int64_t>(batch.outbox.size());
      for (auto seq : batch.published) {
        auto& q = *delete_outbox_;
        q.bind(1, static_cast<int64_t>(seq));
        outbox_rows -= q.exec();
        q.reset();
      }
      tx.commit();
      outbox_rows_ = outbox_rows;
      bound_wal();
      return seqs;
    } catch (const std::exception& ex) {
      reset_statements();
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<std::vector<stored_entry>> unfinished() override {
    try {
      SQLite::Statement q(db_,
                          std::string{"SELECT seq, id, product_name, quantity, region, customer, "
                                      "vip, created_at, state, recoveries, "}
                            + next_event_sql + ", attempt, due FROM orders WHERE state NOT IN "
                            + final_states_sql() + " ORDER BY vip DESC, seq");
      std::vector<stored_entry> result;
      while (q.executeStep()) {
        stored_entry x;
        x.seq = q.getColumn(0).getInt64();
        x.item.item.id = q.getColumn(1).getString();
        x.item.item.product_name = q.getColumn(2).getString();
        x.item.item.quantity = q.getColumn(3).getInt();
        x.item.item.region = q.getColumn(4).getString();
        x.item.item.customer = q.getColumn(5).getString();
        x.item.item.vip = q.getColumn(6).getInt() != 0;
        x.item.item.created_at = q.getColumn(7).getInt64();
        x.item.state =
          parse_order_state(q.getColumn(8).getString()).value_or(order_state::received);
        x.item.recoveries = q.getColumn(9).getInt();
        x.next_event = q.getColumn(10).getInt();
        x.item.attempt = q.getColumn(11).getInt();
        x.item.due = q.getColumn(12).getInt64();
        result.push_back(std::move(x));
      }
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<totals> finished_totals() override {
    try {
      SQLite::Statement q(db_, finished_totals_sql);
      totals result;
      while (q.executeStep())
        add_finished_row(result, q.getColumn(0).getString(), q.getColumn(1).getString(),
                         static_cast<uint64_t>(q.getColumn(2).getInt64()),
                         q.getColumn(3).getInt64());
      sum_regions(result);
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  // Without the busy timeout: a lock held elsewhere fails the probe at once instead of holding
  // up the journal's thread.
  caf::error probe() override {
    sqlite3_busy_timeout(db_.getHandle(), 0);
    caf::error result;
    try {
      db_.exec("BEGIN IMMEDIATE");
      db_.exec("ROLLBACK");
    } catch (const std::exception& ex) {
      result = make_error(errc::store_failure, ex.what());
    }
    sqlite3_busy_timeout(db_.getHandle(), busy_timeout_ms_);
    return result;
  }

  caf::error count_recovery(const std::vector<int64_t>& seqs) override {
    try {
      SQLite::Transaction tx(db_);
      SQLite::Statement q(db_, "UPDATE orders SET recoveries = recoveries + 1 WHERE seq = ?");
      for (auto seq : seqs) {
        q.bind(1, static_cast<int64_t>(seq));
        q.exec();
        q.reset();
      }
      tx.commit();
      bound_wal();
      return caf::none;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<outbox_page> outbox(int64_t after, size_t limit) override {
    try {
      outbox_page result;
      SQLite::Statement q(db_,
                          "SELECT seq, exchange, routing_key, message_id, payload, created_at "
                          "FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?");
      q.bind(1, static_cast<int64_t>(after));
      q.bind(2, static_cast<int64_t>(limit));
      while (q.executeStep())
        result.messages.push_back(outbox_message{
          q.getColumn(0).getInt64(), q.getColumn(1).getString(), q.getColumn(2).getString(),
          q.getColumn(3).getString(), q.getColumn(4).getString(), q.getColumn(5).getInt64()});
      // The backlog is counted as rows come and go: a COUNT(*) per page would scan the whole
      // outbox, and the pages of a backlog left by a long broker outage would cost quadratic time.
      result.backlog = static_cast<uint64_t>(outbox_rows_);
      SQLite::Statement first(db_, "SELECT created_at FROM outbox ORDER BY seq LIMIT 1");
      if (first.executeStep())
        result.oldest = first.getColumn(0).getInt64();
      return result;
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

  caf::expected<uint64_t> replay_dead_letters() override {
    try {
      SQLite::Transaction tx(db_);
      SQLite::Statement ev(db_,
                           std::string{"INSERT INTO event_log(order_seq, n, state, stage, detail, "
                                       "at) SELECT seq, "}
                             + next_event_sql
                             + ", ?, ?, 'replayed from dead_letter', ? FROM orders "
                               "WHERE state = 'dead_letter'");
      auto at = static_cast<int64_t>(now());
      ev.bind(1, static_cast<int>(order_state::received));
      ev.bind(2, static_cast<int>(stage_id::replay));
      ev.bind(3, at);
      ev.exec();
      SQLite::Statement up(db_,
                           "UPDATE orders SET state = 'received', detail = 'replayed', "
                           "recoveries = 0, updated_at = ? WHERE state = 'dead_letter'");
      up.bind(1, at);
      auto moved = up.exec();
      tx.commit();
      bound_wal();
      return static_cast<uint64_t>(moved);
    } catch (const std::exception& ex) {
      return make_error(errc::store_failure, ex.what());
    }
  }

private:
  void migrate() {
    SQLite::Transaction tx(db_);
    auto text_events = db_
                         .execAndGet(
                           "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' "
                           "AND name = 'order_events'")
                         .getInt()
                       > 0;
    if (text_events)
      db_.exec(drop_text_events);
    db_.exec(schema);
    if (db_.execAndGet("SELECT COUNT(*) FROM pragma_table_info('orders') WHERE name = 'owner'")
          .getInt()
        == 0)
      db_.exec(add_owners);
    name_codes();
    if (text_events) {
      SQLite::Statement names(db_,
                              "SELECT DISTINCT stage FROM order_events_v2 "
                              "WHERE stage NOT IN (SELECT name FROM stage_names)");
      SQLite::Statement add(db_, "INSERT INTO stage_names(code, name) VALUES(?, ?)");
      auto code =
        std::max(first_foreign_stage_code,
                 db_.execAndGet("SELECT COALESCE(MAX(code), 0) + 1 FROM stage_names").getInt());
      while (names.executeStep()) {
        add.bind(1, code++);
        add.bind(2, names.getColumn(0).getString());
        add.exec();
        add.reset();
      }
      db_.exec(copy_text_events);
    }
    SQLite::Statement q(db_, "SELECT COALESCE(MAX(version), 0) FROM schema_version");
    q.executeStep();
    auto version = q.getColumn(0).getInt();
    if (version > sqlite_schema_version)
      throw std::runtime_error("journal schema version " + std::to_string(version)
                               + " is newer than this build's "
                               + std::to_string(sqlite_schema_version));
    if (version < sqlite_schema_version) {
      SQLite::Statement ins(db_, "INSERT INTO schema_version(version, applied_at) VALUES(?, ?)");
      ins.bind(1, sqlite_schema_version);
      ins.bind(2, static_cast<int64_t>(now()));
      ins.exec();
    }
    tx.commit();
    bound_wal();
  }

  // The names of the state and stage codes, for SQL users and the views.
  void name_codes() {
    name_codes<order_state>("state_names", last_order_state);
    name_codes<stage_id>("stage_names", last_stage_id);
  }

  // Writes code and name of every value of `Enum` up to `last` into `table`.
  template <class Enum>
  void name_codes(const std::string& table, Enum last) {
    SQLite::Statement q(db_, "INSERT OR REPLACE INTO " + table + "(code, name) VALUES(?, ?)");
    for (auto i = 0; i <= static_cast<int>(last); ++i) {
      q.bind(1, i);
      q.bind(2, code_name(static_cast<Enum>(i)));
      q.exec();
      q.reset();
    }
  }

  static const std::string& code_name(order_state x) {
    return state_name(x);
  }

  static const std::string& code_name(stage_id x) {
    return to_string(x);
  }

  static std::string insert_events_sql(size_t rows) {
    std::string sql = "INSERT INTO event_log(order_seq, n, state, stage, detail, at) VALUES";
    for (size_t i = 0; i < rows; ++i)
      sql += i == 0 ? "(?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?)";
    return sql;
  }

  static constexpr int event_columns = 6;

  static void bind_event(SQLite::Statement& q, int offset, const state_change& change) {
    auto& e = change.event;
    q.bind(offset + 1, static_cast<int64_t>(change.seq));
    q.bind(offset + 2, change.n);
    q.bind(offset + 3, static_cast<int>(e.state));
    q.bind(offset + 4, static_cast<int>(e.stage));
    q.bindNoCopy(offset + 5, e.detail);
    q.bind(offset + 6, static_cast<int64_t>(e.at));
  }

  void insert_event(const state_change& change) {
    auto& q = *insert_event_;
    bind_event(q, 0, change);
    q.exec();
    q.reset();
  }

  void reset_statements() {
    for (auto* q : {&*insert_order_, &*insert_event_, &*insert_events_, &*update_order_,
                    &*insert_error_, &*insert_failure_, &*insert_outbox_, &*delete_outbox_}) {
      try {
        q->reset();
      } catch (const std::exception&) {
        // The statement is reset again before its next use.
      }
    }
  }

  static int on_wal_commit(void* self, sqlite3*, const char*, int frames) {
    static_cast<sqlite_store*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  // The background checkpointer copies the WAL while commits keep appending to it, so the WAL
  // never drains by itself under steady load: it grew to 1.5 GB in 200,000 orders, and every
  // page lookup searched its whole index. Past the limit, once the background pass is close
  // behind, the writer itself copies the rest between two commits (a few milliseconds; the
  // whole 64 MiB took it 40-60 ms); its next commit then starts the WAL over, truncated to the
  // limit.
  void bound_wal() {
    if (wal_frames_ < next_checkpoint_frames_)
      return;
    if (checkpointer_ && wal_frames_ - checkpointer_->backfilled() > catch_up_frames
        && wal_frames_ < wal_limit_frames_ * 2) {
      checkpointer_->hurry();
      return;
    }
    int log = 0;
    int done = 0;
    auto rc =
      sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    // The background checkpointer holds the checkpoint lock. Should it not keep up with the
    // commits, past twice the limit the writer waits for it (briefly).
    for (int i = 0; rc == SQLITE_BUSY && wal_frames_ >= wal_limit_frames_ * 2 && i < 100; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      rc =
        sqlite3_wal_checkpoint_v2(db_.getHandle(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
    }
    if (rc == SQLITE_OK && done == log) {
      wal_frames_ = 0;
      if (checkpointer_)
        checkpointer_->restarted();
      next_checkpoint_frames_ = wal_limit_frames_;
    } else if (rc == SQLITE_OK) {
      // A reader on an old snapshot (a long report, say) holds the log: try again after another
      // eighth of the limit instead of after every commit.
      next_checkpoint_frames_ = wal_frames_ + std::max<int64_t>(1, wal_limit_frames_ / 8);
    }
    // Busy: the background checkpointer is at it; the next commit tries again.
  }

  SQLite::Database db_;
  int busy_timeout_ms_;
  int64_t wal_frames_ = 0;
  int64_t outbox_rows_ = 0;
  int64_t wal_limit_frames_ = 0;
  int64_t next_checkpoint_frames_ = 0;
  std::optional<SQLite::Statement> insert_order_;
  std::optional<SQLite::Statement> insert_event_;
  std::optional<SQLite::Statement> insert_events_;
  std::optional<SQLite::Statement> update_order_;
  std::optional<SQLite::Statement> insert_error_;
  std::optional<SQLite::Statement> insert_failure_;
  std::optional<SQLite::Statement> insert_outbox_;
  std::optional<SQLite::Statement> delete_outbox_;
  std::unordered_map<int64_t, const state_change*> latest_;
  std::optional<checkpointer> checkpointer_;
};

}  // namespace

caf::expected<std::unique_ptr<order_store>> open_sqlite_store(const sqlite_options& options) {
  try {
    return std::unique_ptr<order_store>{new sqlite_store(options)};
  } catch (const std::exception& ex) {
    return make_error(errc::store_failure, options.path + ": " + ex.what());
  }
}

}  // namespace ordernode
