// Per-thread random numbers and time-ordered UUIDs.
#pragma once

#include <cstdint>
#include <random>
#include <string>

namespace ordernode {

std::mt19937_64& thread_rng();

// True with probability `p`.
bool chance(double p);

// A version 7 UUID (RFC 9562) in its canonical 36-character form: 48 bits of Unix milliseconds,
// a 12-bit counter that keeps the ids of one process strictly increasing within a millisecond,
// and 62 random bits. Ids made later sort later, so the journal's index grows at its end.
std::string make_uuid();

// The same for a given time, in Unix milliseconds; the counter still keeps ids increasing
// across calls, even when `unix_ms` goes backwards.
std::string make_uuid_at(uint64_t unix_ms);

}  // namespace ordernode
