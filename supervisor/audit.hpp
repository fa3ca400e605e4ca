// The audit log: one JSON object per line, each line one write(2) on an O_APPEND descriptor, so
// concurrent writers (several warden runs sharing a file) never interleave.
#pragma once

#include <memory>
#include <string>

namespace warden::supervisor {

class AuditLog {
 public:
  // "-" is stderr. Throws std::runtime_error naming the file when it cannot be opened.
  static std::unique_ptr<AuditLog> open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends the newline. Returns false (and says why on stderr) when the line was not written
  // whole: a record is never silently dropped.
  bool write(std::string line);

 private:
  AuditLog(int fd, bool owned, std::string path) : fd_(fd), owned_(owned), path_(std::move(path)) {}
  int fd_;
  bool owned_;
  std::string path_;
};

// UTC with milliseconds, RFC 3339: 2026-11-23T19:49:57.123Z
std::string utc_now();

}  // namespace warden::supervisor
