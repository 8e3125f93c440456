// A processor: hands an order to the external processing system, then on to the shipper.
#pragma once

#include <memory>
#include <string>

#include "runtime/external/processing_system.hpp"
#include "runtime/metrics/node_metrics.hpp"
#include "runtime/core/option_table.hpp"
#include "runtime/core/stages.hpp"

namespace ordernode {

struct processor_options : mock_processing_options {
  int32_t workers = 0;  // Per region; 0 means the number of cores.
  int32_t max_in_flight = 8;
};

// The config keys processor.*, the mock's included.
option_table option_table_of(processor_options& x);

// Records `processing`, waits the system's latency with a delayed message (never a sleep),
// then records `processed` and ships the order, or reports the failure to the error channel.
// Either way it returns the credit to `owner`. It stops when `owner` stops. Records the
// processing time per order, and counts its messages under `name` in the actor registry.
processor_actor::behavior_type processor(processor_actor::pointer self, dispatcher_actor owner,
                                         std::shared_ptr<processing_system> system,
                                         journal_actor journal, shipper_ref shipper,
                                         error_channel_ref errors,
                                         std::shared_ptr<node_metrics> metrics, std::string name);

}  // namespace ordernode
