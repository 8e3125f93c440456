// The failures writer: appends each failed order to the failures file once its failure is
// committed, as a listener of the journal's finished orders.
#pragma once

#include <memory>

#include "runtime/core/stages.hpp"
#include "runtime/store/failures_file.hpp"

namespace ordernode {

// Subscribe it to the journal (subscribe_atom) before orders finish. Run it detached: it writes
// a file.
finished_listener::behavior_type failures_writer(finished_listener::pointer self,
                                                 std::shared_ptr<failures_file> file);

}  // namespace ordernode
