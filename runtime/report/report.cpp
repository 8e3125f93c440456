#include "runtime/report/report.hpp"

#include <cstdio>
#include <ctime>

#include "runtime/core/errors.hpp"
#include "runtime/report/svg_chart.hpp"

namespace ordernode {

namespace {

constexpr const char* style = R"css(
body { font-family: sans-serif; margin: 2em; color: #222; max-width: 60em; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.5em 0 1em; }
td, th { border: 1px solid #ccc; padding: 2px 8px; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
svg.chart text { font-size: 12px; font-family: sans-serif; }
p.empty { color: #888; }
)css";

std::string cell(const std::string& text) {
  return "<td>" + html_escape(text.empty() ? "(empty)" : text) + "</td>";
}

std::string num(uint64_t x) {
  return "<td class=\"n\">" + std::to_string(x) + "</td>";
}

std::string num(int64_t x) {
  return "<td class=\"n\">" + std::to_string(x) + "</td>";
}

std::string header(std::initializer_list<const char*> names) {
  std::string result = "<tr>";
  for (auto name : names)
    result += std::string{"<th>"} + name + "</th>";
  return result + "</tr>\n";
}

std::string count_section(const std::string& title, const char* label,
                          const std::vector<count_row>& rows) {
  std::string html = "<h2>" + html_escape(title) + "</h2>\n";
  std::vector<bar> bars;
  for (auto& r : rows)
    bars.push_back({r.label, static_cast<double>(r.count)});
  html += bar_chart(bars);
  if (rows.empty())
    return html;
  html += "<table>\n" + header({label, "count"});
  for (auto& r : rows)
    html += "<tr>" + cell(r.label) + num(r.count) + "</tr>\n";
  return html + "</table>\n";
}

std::string latency_row(const std::string& name, const latency_summary& x) {
  return "<tr>" + cell(name) + num(x.count) + cell(format_duration(x.p50))
         + cell(format_duration(x.p90)) + cell(format_duration(x.p99))
         + cell(format_duration(x.max)) + "</tr>\n";
}

}  // namespace

std::string format_duration(int64_t ns) {
  char buf[32];
  auto ms = static_cast<double>(ns) / 1e6;
  if (ms < 1000)
    std::snprintf(buf, sizeof(buf), "%.1f ms", ms);
  else
    std::snprintf(buf, sizeof(buf), "%.2f s", ms / 1000);
  return buf;
}

std::string format_time(timestamp at) {
  auto secs = static_cast<std::time_t>(at / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  return buf;
}

std::function<caf::expected<std::string>()> make_report_hook(report_loader load,
                                                             caf::timespan timeout) {
  return [load = std::move(load), timeout]() -> caf::expected<std::string> {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto data = load(deadline);
    if (data)
      return render_html(*data);
    if (std::chrono::steady_clock::now() >= deadline)
      return std::move(data.error());
    return "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>ordernode "
           "journal report</title></head><body><h1>No report</h1><p>"
           + html_escape(describe(data.error())) + "</p></body></html>\n";
  };
}

std::string render_html(const report_data& x) {
  std::string html =
    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<title>ordernode journal report</title><style>";
  html += style;
  html += "</style></head><body>\n<h1>ordernode journal report</h1>\n";
  html += "<table>\n";
  html += "<tr><th>journal</th>" + cell(x.journal_path) + "</tr>\n";
  html += "<tr><th>generated</th>" + cell(format_time(x.generated_at)) + "</tr>\n";
  if (x.first_received != 0) {
    html += "<tr><th>first order received</th>" + cell(format_time(x.first_received)) + "</tr>\n";
    html += "<tr><th>last change</th>" + cell(format_time(x.last_update)) + "</tr>\n";
  }
  html += "<tr><th>orders</th>" + num(x.orders) + "</tr>\n";
  html += "<tr><th>shipping retries</th>" + num(x.retries) + "</tr>\n</table>\n";

  html += count_section("Orders by status", "status", x.by_state);

  html += "<h2>Orders by region</h2>\n";
  std::vector<bar> bars;
  for (auto& r : x.by_region)
    bars.push_back({r.region, static_cast<double>(r.total)});
  html += bar_chart(bars);
  if (!x.by_region.empty()) {
    html += "<table>\n" + header({"region", "orders", "completed", "failed", "rejected"});
    for (auto& r : x.by_region)
      html += "<tr>" + cell(r.region) + num(r.total) + num(r.completed) + num(r.failed)
              + num(r.rejected) + "</tr>\n";
    html += "</table>\n";
  }

  if (!x.by_node.empty()) {
    html += "<h2>Orders by node</h2>\n";
    bars.clear();
    for (auto& r : x.by_node)
      bars.push_back({r.region, static_cast<double>(r.total)});
    html += bar_chart(bars);
    html += "<table>\n" + header({"node", "orders", "completed", "failed", "rejected"});
    for (auto& r : x.by_node)
      html += "<tr>" + cell(r.region) + num(r.total) + num(r.completed) + num(r.failed)
              + num(r.rejected) + "</tr>\n";
    html += "</table>\n";
  }

  html += "<h2>Orders by product</h2>\n";
  bars.clear();
  for (auto& r : x.by_product)
    bars.push_back({r.product, static_cast<double>(r.orders)});
  html += bar_chart(bars);
  if (!x.by_product.empty()) {
    html += "<table>\n" + header({"product", "orders", "quantity"});
    for (auto& r : x.by_product)
      html += "<tr>" + cell(r.product) + num(r.orders) + num(r.quantity) + "</tr>\n";
    html += "</table>\n";
  }

  html += count_section("Errors by stage and type", "stage / type", x.error_types);
  html += count_section("Most frequent error causes", "cause", x.error_causes);
  html += count_section("Failure causes", "stage: cause", x.failure_causes);
  html += count_section("Shipping attempts per shipped order", "attempts", x.shipping_attempts);

  html += "<h2>Processing time (received to final state)</h2>\n<table>\n"
          + header({"orders", "count", "p50", "p90", "p99", "max"});
  html += latency_row("every finished order", x.processing);
  html += latency_row("VIP, completed", x.vip);
  html += latency_row("normal, completed", x.normal);
  html += "</table>\n";
  html += bar_chart({{"VIP p50", x.vip.p50 / 1e6},
                     {"normal p50", x.normal.p50 / 1e6},
                     {"VIP p99", x.vip.p99 / 1e6},
                     {"normal p99", x.normal.p99 / 1e6}},
                    " ms");

  html += "<h2>Throughput over time</h2>\n";
  if (x.throughput.empty()) {
    html += "<p class=\"empty\">nothing recorded</p>\n";
  } else {
    series received{"received", "#4a7fb5", {}};
    series done{"finished", "#d9822b", {}};
    for (auto& b : x.throughput) {
      received.values.push_back(static_cast<double>(b.received));
      done.values.push_back(static_cast<double>(b.finished));
    }
    html += "<p>Orders per " + format_duration(x.bucket_width) + ".</p>\n";
    html += line_chart({received, done}, format_time(x.throughput.front().start),
                       format_time(x.throughput.back().start));
  }
  return html + "</body></html>\n";
}

std::string render_summary(const report_data& x) {
  std::string text = "orders: " + std::to_string(x.orders) + "\n";
  for (auto& r : x.by_state)
    text += "  " + r.label + ": " + std::to_string(r.count) + "\n";
  text += "shipping retries: " + std::to_string(x.retries) + "\n";
  for (auto& r : x.by_node)
    text += "node " + r.region + ": " + std::to_string(r.total) + " orders, "
            + std::to_string(r.completed) + " completed, " + std::to_string(r.failed) + " failed, "
            + std::to_string(r.rejected) + " rejected\n";
  text += "errors:";
  uint64_t errors = 0;
  for (auto& r : x.error_types)
    errors += r.count;
  text += " " + std::to_string(errors) + "\n";
  auto latency = [&](const char* name, const latency_summary& l) {
    text += std::string{name} + ": " + std::to_string(l.count) + " orders";
    if (l.count > 0)
      text += ", p50 " + format_duration(l.p50) + ", p90 " + format_duration(l.p90) + ", p99 "
              + format_duration(l.p99) + ", max " + format_duration(l.max);
    text += "\n";
  };
  latency("processing time (received to final)", x.processing);
  latency("VIP completed", x.vip);
  latency("normal completed", x.normal);
  return text;
}

}  // namespace ordernode
