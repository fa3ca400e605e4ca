// Shared by the fuzz targets: how a broken property is reported, and scratch files.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace warden::fuzz {

// abort() rather than a return code: libFuzzer keeps the input and the sanitizers print a stack.
[[noreturn]] inline void fail(const std::string& what, std::string_view detail = {}) {
  std::fprintf(stderr, "\n==warden-fuzz== %s\n", what.c_str());
  if (!detail.empty()) {
    std::fprintf(stderr, "%.*s\n", static_cast<int>(detail.size()), detail.data());
  }
  std::abort();
}

inline std::string_view text(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// One directory per process, reused by every input (creating files per input would dominate the
// run time) and removed at exit.
class ScratchDir {
 public:
  ScratchDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string tmpl = std::string(tmp && *tmp ? tmp : "/tmp") + "/warden-fuzz-XXXXXX";
    if (!::mkdtemp(tmpl.data())) fail("mkdtemp failed for " + tmpl);
    path_ = tmpl;
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  // Writes `content` to NAME in the directory (replacing it) and returns its path.
  std::string write(const std::string& name, std::string_view content) const {
    const std::string p = path_ + "/" + name;
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    if (!out) fail("cannot write " + p);
    return p;
  }
  std::string path(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

}  // namespace warden::fuzz
