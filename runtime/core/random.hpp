// Per-thread random numbers and UUIDs.
#pragma once

#include <random>
#include <string>

namespace ordernode {

std::mt19937_64& thread_rng();

// True with probability `p`.
bool chance(double p);

// A random (version 4) UUID in its canonical 36-character form.
std::string make_uuid();

}  // namespace ordernode
