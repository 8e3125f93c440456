#include "actors/failures_writer.hpp"

#include <caf/all.hpp>
#include <spdlog/spdlog.h>

namespace ordernode {

finished_listener::behavior_type failures_writer(finished_listener::pointer,
                                                 std::shared_ptr<failures_file> file) {
  return {
    [=](finished_atom, const std::vector<finished_order>& xs) {
      if (!file->append(xs))
        spdlog::error("cannot append to the failures file {}", file->path());
    },
    [=](dropped_atom, const std::vector<std::string>&) {},
  };
}

}  // namespace ordernode
