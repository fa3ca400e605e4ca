// warden-escape-exec: the program an exec race runs, linked statically so that an attempt costs
// little. Installed twice: as `ok` it exits at once; as `bad` (a program the policy refuses) it
// records that it ran in $ESCAPE_MARKER (a policy bypass, which the README says a racing thread
// can achieve) and tries to write $ESCAPE_CANARY outside the workspace (an escape, which it must
// never achieve).
#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <initializer_list>

int main() {
  char exe[4096] = {};
  ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n < 4 || std::strcmp(exe + n - 4, "/bad") != 0) return 0;
  for (const char* var : {"ESCAPE_MARKER", "ESCAPE_CANARY"}) {
    const char* path = std::getenv(var);
    if (path == nullptr) continue;
    int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) {
      (void)!::write(fd, "ran\n", 4);
      ::close(fd);
    }
  }
  return 0;
}
