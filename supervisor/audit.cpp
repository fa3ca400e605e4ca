#include "audit.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <stdexcept>

namespace warden::supervisor {

std::unique_ptr<AuditLog> AuditLog::open(const std::string& path) {
  if (path == "-") return std::unique_ptr<AuditLog>(new AuditLog(STDERR_FILENO, false, "stderr"));
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0) throw std::runtime_error("--audit " + path + ": " + std::strerror(errno));
  return std::unique_ptr<AuditLog>(new AuditLog(fd, true, path));
}

AuditLog::~AuditLog() {
  if (owned_) ::close(fd_);
}

bool AuditLog::write(std::string line) {
  line += '\n';
  ssize_t n;
  do n = ::write(fd_, line.data(), line.size());
  while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(line.size())) {
    // Written into a file someone deleted is written nowhere anyone can read.
    struct stat st {};
    if (!owned_ || (::fstat(fd_, &st) == 0 && st.st_nlink > 0)) return true;
    std::fprintf(stderr, "warden: audit log %s: the file was deleted; records are lost\n",
                 path_.c_str());
    return false;
  }
  std::fprintf(stderr, "warden: audit log %s: record not written: %s\n", path_.c_str(),
               n < 0 ? std::strerror(errno) : "short write");
  return false;
}

std::string utc_now() {
  timespec ts{};
  ::clock_gettime(CLOCK_REALTIME, &ts);
  tm t{};
  ::gmtime_r(&ts.tv_sec, &t);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", t.tm_year + 1900,
                t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec,
                static_cast<int>(ts.tv_nsec / 1000000));
  return buf;
}

}  // namespace warden::supervisor
