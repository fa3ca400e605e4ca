#include "dns.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>

namespace warden::supervisor {
namespace {

namespace net = broker::net;

constexpr std::uint32_t kBase = 0xC6120000;  // 198.18.0.0/15
constexpr std::uint32_t kSize = 1u << 17;
constexpr std::uint32_t kTtl = 60;

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v));
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  while (!s.empty() && s.back() == '.') s.pop_back();
  return s;
}

}  // namespace

DnsStub::DnsStub(int fd)
    : fd_(::fcntl(fd, F_DUPFD_CLOEXEC, 3)), stop_fd_(::eventfd(0, EFD_CLOEXEC)) {}

DnsStub::~DnsStub() {
  std::uint64_t one = 1;
  if (stop_fd_ >= 0) (void)::write(stop_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  if (fd_ >= 0) ::close(fd_);
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void DnsStub::start() {
  thread_ = std::thread([this] { run(); });
}

bool DnsStub::is_standin(const net::Address& a) {
  if (a.family != AF_INET) return false;
  std::uint32_t ip = (std::uint32_t{a.bytes[0]} << 24) | (std::uint32_t{a.bytes[1]} << 16) |
                     (std::uint32_t{a.bytes[2]} << 8) | a.bytes[3];
  return ip - kBase < kSize;
}

std::optional<std::string> DnsStub::name_for(const net::Address& a) const {
  if (!is_standin(a)) return std::nullopt;
  std::uint32_t ip = (std::uint32_t{a.bytes[0]} << 24) | (std::uint32_t{a.bytes[1]} << 16) |
                     (std::uint32_t{a.bytes[2]} << 8) | a.bytes[3];
  std::uint32_t index = ip - kBase - 1;
  std::lock_guard<std::mutex> lock(mu_);
  if (index >= names_.size()) return std::nullopt;
  return names_[index];
}

std::vector<std::uint8_t> DnsStub::answer(std::span<const std::uint8_t> packet) {
  auto query = net::parse_query(packet);
  if (!query) return {};  // not even an ID to answer to: dropped
  const auto& q = query->question;
  std::string name = lower(q.name);
  // Names with escaped bytes (a '.' or '\\' inside a label) are not host names a connect
  // could be judged by: refused.
  if (name.empty() || name.find('\\') != std::string::npos || q.klass != net::dns::kClassIn)
    return net::error_reply(*query, net::dns::kRcodeRefused);
  std::uint32_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_name_.find(name);
    if (it != by_name_.end()) {
      index = it->second;
    } else {
      if (names_.size() + 2 >= kSize) return net::error_reply(*query, net::dns::kRcodeRefused);
      index = static_cast<std::uint32_t>(names_.size());
      names_.push_back(name);
      by_name_.emplace(name, index);
    }
  }
  const bool a = q.type == net::dns::kTypeA;
  std::vector<std::uint8_t> out;
  put16(out, query->id);
  // QR, the query's opcode and RD, RA; NOERROR. AAAA and other types: no records (NODATA), so
  // programs use the A answer.
  put16(out, static_cast<std::uint16_t>(0x8000 | (query->flags & 0x7900) | 0x0080));
  put16(out, 1);
  put16(out, a ? 1 : 0);
  put16(out, 0);
  put16(out, 0);
  size_t start = 0;
  while (start < q.name.size()) {
    size_t dot = q.name.find('.', start);
    if (dot == std::string::npos) dot = q.name.size();
    out.push_back(static_cast<std::uint8_t>(dot - start));
    out.insert(out.end(), q.name.begin() + static_cast<std::ptrdiff_t>(start),
               q.name.begin() + static_cast<std::ptrdiff_t>(dot));
    start = dot + 1;
  }
  out.push_back(0);
  put16(out, q.type);
  put16(out, q.klass);
  if (a) {
    put16(out, 0xC00C);  // the question's name
    put16(out, net::dns::kTypeA);
    put16(out, net::dns::kClassIn);
    put16(out, kTtl >> 16);
    put16(out, kTtl & 0xffff);
    put16(out, 4);
    std::uint32_t ip = kBase + 1 + index;
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(ip >> shift));
  }
  return out;
}

void DnsStub::run() {
  std::uint8_t buf[1500];
  for (;;) {
    pollfd fds[2] = {{fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) return;
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n =
        ::recvfrom(fd_, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from), &len);
    if (n <= 0) continue;
    auto reply = answer({buf, static_cast<size_t>(n)});
    if (!reply.empty())
      (void)::sendto(fd_, reply.data(), reply.size(), MSG_DONTWAIT,
                     reinterpret_cast<sockaddr*>(&from), len);
  }
}

}  // namespace warden::supervisor
