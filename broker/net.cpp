#include "warden/broker/net.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <stdexcept>
#include <unordered_map>
#include <unordered_set>

namespace warden::broker::net {
namespace {

constexpr std::array<std::uint8_t, 12> kMappedPrefix = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
constexpr std::array<std::uint8_t, 12> kNat64Prefix = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};

bool has_prefix12(const Address& a, const std::array<std::uint8_t, 12>& prefix) {
  return a.family == AF_INET6 && std::equal(prefix.begin(), prefix.end(), a.bytes.begin());
}

Address v4_from_tail(const Address& a) {
  Address out{.family = AF_INET, .port = a.port};
  std::copy(a.bytes.begin() + 12, a.bytes.end(), out.bytes.begin());
  return out;
}

// One form per destination: ::ffff:a.b.c.d is the IPv4 address a.b.c.d.
Address unmap(const Address& a) {
  return has_prefix12(a, kMappedPrefix) ? v4_from_tail(a) : a;
}

// inet_pton, without mapping; text need not be NUL-terminated.
std::optional<Address> parse_ip_raw(std::string_view text) {
  // inet_pton stops at a NUL: "1.2.3.4\0junk" must not read as 1.2.3.4.
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN || text.find('\0') != text.npos) {
    return std::nullopt;
  }
  std::string s(text);
  Address a;
  if (::inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (::inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    return std::nullopt;
  }
  return a;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = lower(c);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

bool all_digits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// 0..max as plain decimal; at most 5 digits, so the value cannot overflow.
std::optional<int> parse_number(std::string_view s, int max) {
  if (!all_digits(s) || s.size() > 5) return std::nullopt;
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  if (v > max) return std::nullopt;
  return v;
}

bool prefix_matches(const Address& base, int prefix, const Address& a) {
  if (base.family != a.family) return false;
  int full = prefix / 8;
  if (!std::equal(base.bytes.begin(), base.bytes.begin() + full, a.bytes.begin())) return false;
  int rest = prefix % 8;
  if (rest == 0) return true;
  auto mask = static_cast<std::uint8_t>(0xff << (8 - rest));
  return (base.bytes[full] & mask) == (a.bytes[full] & mask);
}

// ---- DNS wire ----

constexpr std::size_t kHeaderSize = 12;
constexpr std::size_t kMaxPacket = 65535;
constexpr std::size_t kMaxWireName = 255;
constexpr std::size_t kMaxLabel = 63;
// Pointers must go strictly backwards (below), which already ends every chain; this is a second
// bound in case that rule is ever relaxed.
constexpr int kMaxPointerHops = 64;
constexpr std::uint16_t kFlagQr = 0x8000;
constexpr std::uint16_t kFlagTc = 0x0200;
constexpr std::uint16_t kFlagRd = 0x0100;
constexpr std::uint16_t kFlagRa = 0x0080;

using Bytes = std::span<const std::uint8_t>;

std::uint16_t get16(Bytes p, std::size_t off) {
  return static_cast<std::uint16_t>((p[off] << 8) | p[off + 1]);
}

std::uint32_t get32(Bytes p, std::size_t off) {
  return (std::uint32_t{p[off]} << 24) | (std::uint32_t{p[off + 1]} << 16) |
         (std::uint32_t{p[off + 2]} << 8) | std::uint32_t{p[off + 3]};
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
  out.push_back(static_cast<std::uint8_t>(v >> 8));
  out.push_back(static_cast<std::uint8_t>(v & 0xff));
}

struct Header {
  std::uint16_t id, flags, qd, an, ns, ar;
};

std::optional<Header> read_header(Bytes p) {
  if (p.size() < kHeaderSize || p.size() > kMaxPacket) return std::nullopt;
  return Header{get16(p, 0), get16(p, 2), get16(p, 4), get16(p, 6), get16(p, 8), get16(p, 10)};
}

int opcode(std::uint16_t flags) {
  return (flags >> 11) & 0xf;
}

void append_label(std::string& out, Bytes label) {
  if (!out.empty()) out.push_back('.');
  for (std::uint8_t c : label) {
    if (c == '.' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c < 0x21 || c > 0x7e) {
      out.push_back('\\');
      out.push_back(static_cast<char>('0' + c / 100));
      out.push_back(static_cast<char>('0' + c / 10 % 10));
      out.push_back(static_cast<char>('0' + c % 10));
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
}

// The name at off; *next is where the bytes after it start (after its first pointer, if any).
// A pointer must target an earlier offset than where the current run of labels began, so every
// jump goes strictly backwards and no loop is possible; it may not point into the header.
std::optional<std::string> read_name(Bytes p, std::size_t off, std::size_t* next) {
  std::string out;
  std::size_t pos = off;
  std::size_t run_start = off;
  std::size_t wire_len = 0;
  int hops = 0;
  bool jumped = false;
  for (;;) {
    if (pos >= p.size()) return std::nullopt;
    std::uint8_t len = p[pos];
    if ((len & 0xc0) == 0xc0) {
      if (pos + 1 >= p.size()) return std::nullopt;
      std::size_t target = (std::size_t{len & 0x3fu} << 8) | p[pos + 1];
      if (target < kHeaderSize || target >= run_start || ++hops > kMaxPointerHops) {
        return std::nullopt;
      }
      if (!jumped) *next = pos + 2;
      jumped = true;
      pos = run_start = target;
      continue;
    }
    if (len & 0xc0) return std::nullopt;  // 0x40 and 0x80: obsolete/reserved label types
    wire_len += std::size_t{len} + 1;
    if (wire_len > kMaxWireName) return std::nullopt;
    if (len == 0) {
      if (!jumped) *next = pos + 1;
      break;
    }
    if (p.size() - pos - 1 < len) return std::nullopt;
    append_label(out, p.subspan(pos + 1, len));
    pos += 1 + std::size_t{len};
  }
  if (out.empty()) out = ".";
  return out;
}

// The inverse of read_name's text form, uncompressed.
std::optional<std::vector<std::uint8_t>> encode_name(std::string_view text) {
  std::vector<std::uint8_t> out;
  if (text == ".") {
    out.push_back(0);
    return out;
  }
  std::vector<std::uint8_t> label;
  auto flush = [&]() {
    if (label.empty() || label.size() > kMaxLabel) return false;
    out.push_back(static_cast<std::uint8_t>(label.size()));
    out.insert(out.end(), label.begin(), label.end());
    label.clear();
    return true;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '.') {
      if (!flush()) return std::nullopt;
      if (i + 1 == text.size()) break;  // one trailing dot
      continue;
    }
    if (c == '\\') {
      if (i + 1 >= text.size()) return std::nullopt;
      if (text[i + 1] >= '0' && text[i + 1] <= '9') {
        if (i + 3 >= text.size()) return std::nullopt;
        auto v = parse_number(text.substr(i + 1, 3), 255);
        if (!v) return std::nullopt;
        label.push_back(static_cast<std::uint8_t>(*v));
        i += 3;
      } else {
        label.push_back(static_cast<std::uint8_t>(text[++i]));
      }
      continue;
    }
    label.push_back(static_cast<std::uint8_t>(c));
  }
  if (!label.empty() && !flush()) return std::nullopt;
  if (out.empty()) return std::nullopt;
  out.push_back(0);
  if (out.size() > kMaxWireName) return std::nullopt;
  return out;
}

struct Record {
  std::string owner;
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
  std::uint32_t ttl = 0;
  std::size_t rdata = 0;
  std::size_t rdlen = 0;
};

std::optional<Record> read_record(Bytes p, std::size_t* pos) {
  Record r;
  auto owner = read_name(p, *pos, pos);
  if (!owner || p.size() - *pos < 10) return std::nullopt;
  r.owner = std::move(*owner);
  r.type = get16(p, *pos);
  r.klass = get16(p, *pos + 2);
  r.ttl = get32(p, *pos + 4);
  if (r.ttl > 0x7fffffffu) r.ttl = 0;  // RFC 2181 section 8
  r.rdlen = get16(p, *pos + 8);
  r.rdata = *pos + 10;
  if (p.size() - r.rdata < r.rdlen) return std::nullopt;
  *pos = r.rdata + r.rdlen;
  return r;
}

std::optional<Question> read_question(Bytes p, std::size_t* pos) {
  auto name = read_name(p, *pos, pos);
  if (!name || p.size() - *pos < 4) return std::nullopt;
  Question q{std::move(*name), get16(p, *pos), get16(p, *pos + 2)};
  *pos += 4;
  return q;
}

// ---- host patterns ----

[[noreturn]] void bad_entry(const std::string& entry, const char* why) {
  throw std::invalid_argument("network_allow entry \"" + entry + "\": " + why);
}

bool valid_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

}  // namespace

std::string ip_string(const Address& a) {
  char buf[INET6_ADDRSTRLEN] = {};
  if ((a.family != AF_INET && a.family != AF_INET6) ||
      ::inet_ntop(a.family, a.bytes.data(), buf, sizeof buf) == nullptr) {
    return "<invalid>";
  }
  return buf;
}

std::string to_string(const Address& a) {
  std::string ip = ip_string(a);
  if (a.family == AF_INET6) ip = "[" + ip + "]";
  return ip + ":" + std::to_string(a.port);
}

std::optional<Address> parse_ip(std::string_view text) {
  auto a = parse_ip_raw(text);
  if (!a) return std::nullopt;
  return unmap(*a);
}

std::optional<Address> from_sockaddr(const void* sa, std::size_t len) {
  if (sa == nullptr || len < sizeof(sa_family_t) || len > sizeof(sockaddr_storage)) {
    return std::nullopt;
  }
  // memcpy: the bytes come from the program and need not be aligned.
  sa_family_t family;
  std::memcpy(&family, sa, sizeof family);
  Address a;
  if (family == AF_INET) {
    if (len < sizeof(sockaddr_in)) return std::nullopt;
    sockaddr_in in;
    std::memcpy(&in, sa, sizeof in);
    a.family = AF_INET;
    std::memcpy(a.bytes.data(), &in.sin_addr, 4);
    a.port = ntohs(in.sin_port);
    return a;
  }
  if (family == AF_INET6) {
    // The kernel accepts the RFC 2133 size, without sin6_scope_id.
    if (len < offsetof(sockaddr_in6, sin6_scope_id)) return std::nullopt;
    sockaddr_in6 in6{};
    std::memcpy(&in6, sa, std::min(len, sizeof in6));
    a.family = AF_INET6;
    std::memcpy(a.bytes.data(), &in6.sin6_addr, 16);
    a.port = ntohs(in6.sin6_port);
    return unmap(a);
  }
  return std::nullopt;
}

std::size_t to_sockaddr(const Address& a, sockaddr_storage& out, int as_family) {
  out = {};
  if (a.family == AF_INET && as_family != AF_INET6) {
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(a.port);
    std::memcpy(&in.sin_addr, a.bytes.data(), 4);
    std::memcpy(&out, &in, sizeof in);
    return sizeof in;
  }
  if (a.family == AF_INET || a.family == AF_INET6) {
    sockaddr_in6 in6{};
    in6.sin6_family = AF_INET6;
    in6.sin6_port = htons(a.port);
    if (a.family == AF_INET) {
      std::memcpy(&in6.sin6_addr, kMappedPrefix.data(), 12);
      std::memcpy(reinterpret_cast<std::uint8_t*>(&in6.sin6_addr) + 12, a.bytes.data(), 4);
    } else {
      std::memcpy(&in6.sin6_addr, a.bytes.data(), 16);
    }
    std::memcpy(&out, &in6, sizeof in6);
    return sizeof in6;
  }
  return 0;
}

AddressClass classify(const Address& addr) {
  Address a = has_prefix12(addr, kNat64Prefix) ? v4_from_tail(addr) : unmap(addr);
  const auto& b = a.bytes;
  if (a.family == AF_INET) {
    if (b[0] == 0) return AddressClass::Unspecified;
    if (b[0] == 127) return AddressClass::Loopback;
    if (b[0] == 169 && b[1] == 254) return AddressClass::LinkLocal;
    if (b[0] == 10 || (b[0] == 172 && (b[1] & 0xf0) == 16) || (b[0] == 192 && b[1] == 168) ||
        (b[0] == 100 && (b[1] & 0xc0) == 64)) {
      return AddressClass::Private;
    }
    if ((b[0] & 0xf0) == 224 || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255)) {
      return AddressClass::Multicast;
    }
    return AddressClass::Public;
  }
  if (a.family == AF_INET6) {
    bool zero15 = std::all_of(b.begin(), b.end() - 1, [](std::uint8_t x) { return x == 0; });
    if (zero15 && b[15] == 0) return AddressClass::Unspecified;
    if (zero15 && b[15] == 1) return AddressClass::Loopback;
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) return AddressClass::LinkLocal;
    if ((b[0] == 0xfe && (b[1] & 0xc0) == 0xc0) || (b[0] & 0xfe) == 0xfc) {
      return AddressClass::Private;
    }
    if (b[0] == 0xff) return AddressClass::Multicast;
    return AddressClass::Public;
  }
  // Not an IP address: never let it pass as Public.
  return AddressClass::Unspecified;
}

// ---- HostPatterns ----

HostPatterns::HostPatterns(const std::vector<std::string>& entries) {
  for (const std::string& raw : entries) {
    Entry e;
    std::string_view s = raw;
    std::string_view host;
    std::string_view port;
    bool has_port = false;
    bool bracketed = false;
    if (s.empty()) bad_entry(raw, "empty");
    if (s.front() == '[') {
      std::size_t close = s.find(']');
      if (close == std::string_view::npos) bad_entry(raw, "missing ']'");
      bracketed = true;
      host = s.substr(1, close - 1);
      std::string_view rest = s.substr(close + 1);
      if (!rest.empty()) {
        if (rest.front() != ':') bad_entry(raw, "expected ':PORT' after ']'");
        has_port = true;
        port = rest.substr(1);
      }
      if (host.find(':') == std::string_view::npos) bad_entry(raw, "brackets hold an IPv6 address");
    } else if (std::count(s.begin(), s.end(), ':') >= 2) {
      host = s;  // bare IPv6; a port needs brackets
    } else if (std::size_t colon = s.find(':'); colon != std::string_view::npos) {
      host = s.substr(0, colon);
      has_port = true;
      port = s.substr(colon + 1);
    } else {
      host = s;
    }
    if (has_port) {
      auto p = parse_number(port, 65535);
      if (!p || *p == 0) bad_entry(raw, "port must be 1-65535");
      e.port = static_cast<std::uint16_t>(*p);
    }

    if (std::size_t slash = host.find('/'); slash != std::string_view::npos) {
      auto base = parse_ip_raw(host.substr(0, slash));
      if (!base) bad_entry(raw, "CIDR base is not an IP address");
      int max = base->family == AF_INET ? 32 : 128;
      auto prefix = parse_number(host.substr(slash + 1), max);
      if (!prefix) bad_entry(raw, "CIDR prefix out of range");
      // Host bits set usually mean a typo in the prefix length: refuse rather than guess.
      Address masked{.family = base->family};
      for (int bit = 0; bit < *prefix; ++bit) {
        masked.bytes[bit / 8] |= base->bytes[bit / 8] & (0x80 >> (bit % 8));
      }
      if (masked != *base) bad_entry(raw, "CIDR has host bits set");
      e.kind = Entry::Kind::Cidr;
      e.base = *base;
      e.prefix = *prefix;
      if (*prefix >= 96 && has_prefix12(*base, kMappedPrefix)) {
        e.base = v4_from_tail(*base);
        e.prefix -= 96;
      }
    } else if (auto ip = parse_ip(host)) {
      e.kind = Entry::Kind::Cidr;
      e.base = *ip;
      e.prefix = ip->family == AF_INET ? 32 : 128;
    } else if (bracketed || host.find(':') != std::string_view::npos) {
      bad_entry(raw, "not an IP address");
    } else {
      std::string name = lowercase(host);
      if (!name.empty() && name.back() == '.') name.pop_back();
      if (name.starts_with("*.")) {
        e.kind = Entry::Kind::Below;
        name.erase(0, 2);
      }
      if (name.empty()) bad_entry(raw, "no name");
      if (name.size() > 253) bad_entry(raw, "name too long");
      std::size_t start = 0;
      std::string_view last;
      while (start <= name.size()) {
        std::size_t dot = std::min(name.find('.', start), name.size());
        std::string_view label = std::string_view(name).substr(start, dot - start);
        if (label.empty()) bad_entry(raw, "empty label");
        if (label.size() > kMaxLabel) bad_entry(raw, "label longer than 63");
        if (!std::all_of(label.begin(), label.end(), valid_name_char)) {
          bad_entry(raw, "invalid character in name");
        }
        last = label;
        start = dot + 1;
      }
      if (all_digits(last)) bad_entry(raw, "neither an IP address nor a host name");
      e.name = std::move(name);
    }
    entries_.push_back(std::move(e));
  }
}

bool HostPatterns::allows(std::string_view host, const Address& addr_in) const {
  Address addr = unmap(addr_in);
  std::string name = lowercase(host);
  if (!name.empty() && name.back() == '.') name.pop_back();
  // An escaped name ("a\.github.com" is the label "a.github" under com) must not match by text.
  bool plain = !name.empty() && name.find('\\') == std::string::npos;
  for (const Entry& e : entries_) {
    if (e.port && *e.port != addr.port) continue;
    switch (e.kind) {
      case Entry::Kind::Cidr:
        if (prefix_matches(e.base, e.prefix, addr)) return true;
        break;
      case Entry::Kind::Exact:
        if (plain && name == e.name) return true;
        break;
      case Entry::Kind::Below:
        if (plain && name.size() > e.name.size() + 1 && name.ends_with(e.name) &&
            name[name.size() - e.name.size() - 1] == '.') {
          return true;
        }
        break;
    }
  }
  return false;
}

// ---- DNS ----

std::optional<Query> parse_query(std::span<const std::uint8_t> p) {
  auto h = read_header(p);
  if (!h || (h->flags & kFlagQr) || opcode(h->flags) != 0) return std::nullopt;
  if (h->qd != 1 || h->an != 0 || h->ns != 0) return std::nullopt;
  std::size_t pos = kHeaderSize;
  auto q = read_question(p, &pos);
  if (!q) return std::nullopt;
  for (unsigned i = 0; i < h->ar; ++i) {
    if (!read_record(p, &pos)) return std::nullopt;
  }
  if (pos != p.size()) return std::nullopt;
  return Query{h->id, h->flags, std::move(*q)};
}

std::optional<Answer> parse_response(std::span<const std::uint8_t> p, std::uint16_t expect_id) {
  auto h = read_header(p);
  if (!h || h->id != expect_id || !(h->flags & kFlagQr) || opcode(h->flags) != 0 || h->qd != 1) {
    return std::nullopt;
  }
  std::size_t pos = kHeaderSize;
  auto q = read_question(p, &pos);
  if (!q) return std::nullopt;

  Answer ans;
  ans.name = lowercase(q->name);
  ans.type = q->type;
  ans.klass = q->klass;
  ans.rcode = h->flags & 0xf;
  ans.truncated = (h->flags & kFlagTc) != 0;

  struct Target {
    std::string name;
    std::uint32_t ttl;
  };
  std::unordered_map<std::string, Target> cname_of;  // owner -> first CNAME target
  std::vector<Record> addr_records;
  std::size_t total = std::size_t{h->an} + h->ns + h->ar;
  for (std::size_t i = 0; i < total; ++i) {
    auto r = read_record(p, &pos);
    if (!r) return std::nullopt;
    // Types we read must be well formed wherever they appear; other types are opaque.
    if (r->klass != dns::kClassIn) continue;
    bool in_answer = i < h->an;
    if (r->type == dns::kTypeA || r->type == dns::kTypeAaaa) {
      if (r->rdlen != (r->type == dns::kTypeA ? 4u : 16u)) return std::nullopt;
      if (in_answer) {
        r->owner = lowercase(r->owner);
        addr_records.push_back(std::move(*r));
      }
    } else if (r->type == dns::kTypeCname) {
      std::size_t end = 0;
      auto target = read_name(p, r->rdata, &end);
      if (!target || end != r->rdata + r->rdlen) return std::nullopt;
      if (in_answer) {
        cname_of.try_emplace(lowercase(r->owner), Target{lowercase(*target), r->ttl});
      }
    }
  }
  if (pos != p.size()) return std::nullopt;

  std::optional<std::uint32_t> ttl_min;
  auto use_ttl = [&](std::uint32_t t) { ttl_min = std::min(ttl_min.value_or(t), t); };
  std::unordered_set<std::string> chain{ans.name};
  std::string current = ans.name;
  for (auto it = cname_of.find(current); it != cname_of.end(); it = cname_of.find(current)) {
    if (!chain.insert(it->second.name).second) break;  // a loop: stop at its first repeat
    ans.cnames.push_back(it->second.name);
    use_ttl(it->second.ttl);
    current = it->second.name;
  }
  for (const Record& r : addr_records) {
    if (!chain.contains(r.owner)) continue;
    Address a{.family = r.type == dns::kTypeA ? AF_INET : AF_INET6};
    std::copy_n(p.begin() + static_cast<std::ptrdiff_t>(r.rdata), r.rdlen, a.bytes.begin());
    ans.addresses.push_back(unmap(a));
    use_ttl(r.ttl);
  }
  ans.ttl_min = ttl_min.value_or(0);
  return ans;
}

bool same_question(const Answer& a, const Question& q) {
  return a.type == q.type && a.klass == q.klass && iequals(a.name, q.name);
}

std::vector<std::uint8_t> error_reply(const Query& q, std::uint16_t rcode) {
  std::vector<std::uint8_t> out;
  auto name = encode_name(q.question.name);
  put16(out, q.id);
  put16(out, static_cast<std::uint16_t>(kFlagQr | (q.flags & kFlagRd) | kFlagRa | (rcode & 0xf)));
  put16(out, name ? 1 : 0);  // a question we cannot encode is left out rather than invented
  put16(out, 0);
  put16(out, 0);
  put16(out, 0);
  if (name) {
    out.insert(out.end(), name->begin(), name->end());
    put16(out, q.question.type);
    put16(out, q.question.klass);
  }
  return out;
}

// ---- resolv.conf ----

std::vector<Address> parse_resolv_conf(std::string_view text) {
  constexpr std::size_t kMaxNs = 3;  // glibc's MAXNS
  constexpr std::string_view kKeyword = "nameserver";
  std::vector<Address> out;
  std::size_t counted = 0;
  while (!text.empty() && counted < kMaxNs) {
    std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    // glibc: the keyword at column 0 followed by a blank; the address ends at the next blank.
    if (!line.starts_with(kKeyword) || line.size() == kKeyword.size()) continue;
    if (line[kKeyword.size()] != ' ' && line[kKeyword.size()] != '\t') continue;
    line.remove_prefix(kKeyword.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    std::string token(line.substr(0, line.find_first_of(" \t")));
    if (token.empty() || token.find('\0') != std::string::npos) continue;
    Address a{.port = 53};
    in_addr v4{};
    // inet_aton, as glibc uses, also takes "127.1"; glibc's exact variant refuses trailing space.
    bool trailing = std::any_of(token.begin(), token.end(),
                                [](char c) { return c == '\r' || c == '\v' || c == '\f'; });
    if (!trailing && ::inet_aton(token.c_str(), &v4) != 0) {
      a.family = AF_INET;
      std::memcpy(a.bytes.data(), &v4, 4);
      out.push_back(a);
      ++counted;
      continue;
    }
    std::size_t percent = token.find('%');
    std::string bare = token.substr(0, percent);
    if (!bare.empty() && ::inet_pton(AF_INET6, bare.c_str(), a.bytes.data()) == 1) {
      a.family = AF_INET6;
      ++counted;
      if (percent == std::string::npos) out.push_back(unmap(a));
    }
  }
  return out;
}

}  // namespace warden::broker::net
