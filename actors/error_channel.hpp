// The error channel: every error of every stage ends here, is logged and recorded.
#pragma once

#include "actors/notifier.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

// Records each report in the journal's errors table; a report about an order ends that order,
// as `rejected` when the validator sent it, as `dead_letter` for a `dead_letter` report, and as
// `failed` otherwise. Every report also goes to `notifier`, when valid.
error_channel_actor::behavior_type error_channel(error_channel_actor::pointer self,
                                                 journal_actor journal, notifier_ref notifier);

}  // namespace ordernode
