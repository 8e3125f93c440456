// ordernode-report: renders the journal (read-only) as one self-contained HTML file.
#include <cstring>
#include <fstream>
#include <iostream>
#include <string>

#include "runtime/core/errors.hpp"
#include "runtime/report/report.hpp"
#include "runtime/store/journal_location.hpp"
#include "runtime/store/report_query.hpp"

using namespace ordernode;

namespace {

constexpr const char* usage =
  "usage: ordernode-report [--summary] JOURNAL [OUTPUT.html]\n"
  "  Renders the journal as one HTML file (default: ordernode-report.html; '-' for stdout).\n"
  "  JOURNAL is an SQLite file, or a journal.url: sqlite:PATH or\n"
  "  postgresql://user[:password]@host:port/dbname\n"
  "  --summary  print a text summary instead\n";

}  // namespace

int main(int argc, char** argv) {
  bool summary = false;
  std::string journal;
  std::string output = "ordernode-report.html";
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "-h" || arg == "--help") {
      std::cout << usage;
      return 0;
    }
    if (arg == "--summary") {
      summary = true;
    } else if (arg.rfind("--", 0) == 0) {
      std::cerr << "ordernode-report: unknown option " << arg << "\n" << usage;
      return 2;
    } else if (positional == 0) {
      journal = arg;
      ++positional;
    } else if (positional == 1) {
      output = arg;
      ++positional;
    } else {
      std::cerr << "ordernode-report: too many arguments\n" << usage;
      return 2;
    }
  }
  if (journal.empty()) {
    std::cerr << "ordernode-report: no journal given\n" << usage;
    return 2;
  }
  auto where = journal_location::sqlite_file(journal);
  if (journal.rfind("sqlite:", 0) == 0 || journal.rfind("postgres", 0) == 0) {
    auto parsed = parse_journal_url(journal);
    if (!parsed) {
      std::cerr << "ordernode-report: " << describe(parsed.error()) << "\n";
      return 2;
    }
    where = std::move(*parsed);
  }
  auto data = load_report_data(where);
  if (!data) {
    std::cerr << "ordernode-report: " << describe(data.error()) << "\n";
    return 1;
  }
  if (summary) {
    std::cout << render_summary(*data);
    return 0;
  }
  auto html = render_html(*data);
  if (output == "-") {
    std::cout << html;
    return 0;
  }
  std::ofstream out{output, std::ios::binary | std::ios::trunc};
  out << html;
  out.close();
  if (!out) {
    std::cerr << "ordernode-report: cannot write " << output << ": " << std::strerror(errno)
              << "\n";
    return 1;
  }
  std::cout << output << "\n";
  return 0;
}
