// A Spec as a macOS Seatbelt (sandbox-exec) profile, in the manner of Codex: deny by default,
// read everywhere but deny_read, write only under the writable roots. Plain C++, so it is built
// and tested on Linux as well.
//
// Paths never appear in the profile text: each is a parameter (`-D NAME=VALUE`) the profile
// names with (param "NAME"), so no path can change the profile's meaning. The text holds fixed
// strings and the regexes built from protected names only.
//
// Seatbelt matches resolved paths (/tmp is /private/tmp, /var is /private/var): the Spec's paths
// must already be real paths. Nothing here touches the filesystem.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "warden/sandbox/spec.hpp"

namespace warden::macos {

struct SeatbeltProfile {
  std::string text;
  std::vector<std::pair<std::string, std::string>> params;  // NAME, VALUE for -D
};

// Throws std::invalid_argument for a protected name that cannot be expressed safely (empty,
// absolute, "." or ".." components, a quote, a control character or a non-ASCII byte).
SeatbeltProfile seatbelt_profile(const warden::sandbox::Spec& spec);

// /usr/bin/sandbox-exec -p PROFILE -D K=V ... -- argv...
// Throws std::invalid_argument when spec.argv is empty.
std::vector<std::string> seatbelt_argv(const warden::sandbox::Spec& spec);

// The regex a protected name becomes: it matches the name, and anything beneath it, at any depth.
// Exposed for the tests.
std::string protected_name_regex(const std::string& name);

}  // namespace warden::macos
