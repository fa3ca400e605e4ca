#include "warden/sandbox/spec.hpp"

namespace warden::sandbox {

const char* to_string(Mode m) {
  switch (m) {
    case Mode::ReadOnly:
      return "read-only";
    case Mode::WorkspaceWrite:
      return "workspace-write";
    case Mode::FullAccess:
      return "danger-full-access";
  }
  return "?";
}

}  // namespace warden::sandbox
