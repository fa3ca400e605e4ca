#include "warden/macos/seatbelt.hpp"
