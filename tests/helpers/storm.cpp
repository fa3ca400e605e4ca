// warden-storm: many processes, each with many threads, each trying writes outside the sandbox
// at once. Prints "attempts=N refused=R succeeded=S other=O" so the test can check that every
// attempt got exactly one answer; the test judges the outside (files, audit) itself.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 5) {
    std::fprintf(stderr, "usage: warden-storm DIR PROCS THREADS EACH\n");
    return 2;
  }
  const std::string dir = argv[1];
  const int procs = std::atoi(argv[2]), threads = std::atoi(argv[3]), each = std::atoi(argv[4]);
  int pipes[2];
  if (::pipe(pipes) != 0) return 1;
  std::vector<pid_t> kids;
  for (int p = 0; p < procs; ++p) {
    pid_t pid = ::fork();
    if (pid == 0) {
      std::atomic<long> refused{0}, ok{0}, other{0};
      std::vector<std::thread> ts;
      for (int t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
          for (int i = 0; i < each; ++i) {
            std::string path =
                dir + "/p" + std::to_string(p) + "t" + std::to_string(t) + "n" + std::to_string(i);
            int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
            if (fd >= 0) {
              ++ok;
              ::close(fd);
            } else if (errno == EACCES) {
              ++refused;
            } else {
              ++other;
            }
          }
        });
      for (auto& t : ts) t.join();
      long v[3] = {refused.load(), ok.load(), other.load()};
      (void)!::write(pipes[1], v, sizeof v);
      ::_exit(0);
    }
    kids.push_back(pid);
  }
  ::close(pipes[1]);
  long refused = 0, ok = 0, other = 0, v[3];
  while (::read(pipes[0], v, sizeof v) == static_cast<ssize_t>(sizeof v)) {
    refused += v[0];
    ok += v[1];
    other += v[2];
  }
  for (pid_t k : kids) ::waitpid(k, nullptr, 0);
  std::printf("attempts=%ld refused=%ld succeeded=%ld other=%ld\n", refused + ok + other, refused,
              ok, other);
  return 0;
}
