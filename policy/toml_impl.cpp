// toml++'s implementation, compiled once here from Debian's headers (TOML_HEADER_ONLY=0
// everywhere else), so warden does not load libtomlplusplus.so at start-up.
#define TOML_IMPLEMENTATION
#include "toml.hpp"
