// Network pieces for the sandbox's DNS stub and held connects: addresses, network_allow patterns,
// DNS wire parsing, resolv.conf. Pure functions on bytes and strings, no sockets.
//
// Every byte parsed here may come from the hostile program (queries, sockaddrs) or from whoever
// answers its DNS queries (responses): parsers are bounds-checked, terminate on any input, and
// allocate in proportion to their input only.
#pragma once

#include <sys/socket.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace warden::broker::net {

struct Address {
  int family = 0;                        // AF_INET or AF_INET6
  std::array<std::uint8_t, 16> bytes{};  // network order; IPv4 in bytes[0..3], the rest zero
  std::uint16_t port = 0;                // host order
  bool operator==(const Address&) const = default;
};

// "1.2.3.4:443", "[2001:db8::1]:443".
std::string to_string(const Address& a);
// The address without the port: "1.2.3.4", "2001:db8::1".
std::string ip_string(const Address& a);

// A literal IPv4 (dotted quad only) or IPv6 address, no brackets, no zone, port 0.
// ::ffff:a.b.c.d becomes IPv4.
std::optional<Address> parse_ip(std::string_view text);

// sa/len as given to connect(): len must cover the family's sockaddr (sockaddr_in, or
// sockaddr_in6 up to sin6_scope_id as the kernel accepts) and fit a sockaddr_storage.
// ::ffff:a.b.c.d becomes IPv4, so one address has one form for lookups and patterns.
std::optional<Address> from_sockaddr(const void* sa, std::size_t len);
// Fills out and returns its length, 0 for a bad family. as_family AF_INET6 writes an IPv4
// address in its mapped form, for connecting a socket the program created as AF_INET6.
std::size_t to_sockaddr(const Address& a, sockaddr_storage& out, int as_family = 0);

enum class AddressClass {
  Loopback,     // 127/8, ::1
  LinkLocal,    // 169.254/16 (incl. the cloud metadata address), fe80::/10
  Private,      // 10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7, fec0::/10
  Unspecified,  // 0/8, :: (Linux connects 0.0.0.0 to the local host)
  Multicast,    // 224/4, 255.255.255.255, ff00::/8
  Public,       // everything else
};
// IPv4-mapped (::ffff:0:0/96) and NAT64 (64:ff9b::/96) addresses classify as the IPv4 address
// they reach.
AddressClass classify(const Address& a);

// network_allow: "github.com", "*.github.com", "api.example.com:443", "127.0.0.1:5432",
// "[::1]:8080", "10.0.0.0/8", "2001:db8::/32", "[fd00::/8]:443".
class HostPatterns {
 public:
  // Throws std::invalid_argument naming the bad entry.
  explicit HostPatterns(const std::vector<std::string>& entries);

  // host is the name the program resolved to addr ("" when none is known). Names compare
  // case-insensitively ignoring one trailing dot; "*.x" matches names strictly below x; a
  // pattern's port must equal addr.port; IP and CIDR entries match addr whatever the name.
  bool allows(std::string_view host, const Address& addr) const;

 private:
  struct Entry {
    enum class Kind { Exact, Below, Cidr } kind = Kind::Exact;
    std::string name;  // Exact/Below: lowercase, no trailing dot
    Address base{};    // Cidr
    int prefix = 0;    // Cidr
    std::optional<std::uint16_t> port;
  };
  std::vector<Entry> entries_;
};

namespace dns {

inline constexpr std::uint16_t kTypeA = 1;
inline constexpr std::uint16_t kTypeCname = 5;
inline constexpr std::uint16_t kTypeAaaa = 28;
inline constexpr std::uint16_t kClassIn = 1;
inline constexpr std::uint16_t kRcodeFormErr = 1;
inline constexpr std::uint16_t kRcodeServFail = 2;
inline constexpr std::uint16_t kRcodeNxDomain = 3;
inline constexpr std::uint16_t kRcodeRefused = 5;

}  // namespace dns

// Names are text without the trailing dot ("." for the root). Bytes a label cannot show plainly
// are escaped as in master files ("\." for a dot inside a label, "\DDD" for others), so a label
// "a.github" under "com" never reads as "a.github.com".
struct Question {
  std::string name;  // as sent: case kept, so a reply echoes it exactly
  std::uint16_t type = 0;
  std::uint16_t klass = 0;
};

struct Query {
  std::uint16_t id = 0;
  std::uint16_t flags = 0;
  Question question;
};

// A standard query: QR clear, opcode 0, exactly one question, no answer or authority records
// (additional records such as EDNS OPT are allowed), no bytes after the last record.
std::optional<Query> parse_query(std::span<const std::uint8_t> packet);

struct Answer {
  std::string name;        // the question name, lowercase
  std::uint16_t type = 0;  // the question type and class, to compare with the query
  std::uint16_t klass = 0;
  std::vector<Address> addresses;   // A/AAAA for name or its CNAME chain, answer section only
  std::vector<std::string> cnames;  // the chain from name, in order, lowercase
  std::uint32_t ttl_min = 0;        // over the records used; 0 when none
  std::uint16_t rcode = 0;
  bool truncated = false;  // TC: the addresses may be incomplete
};

// A response to a standard query with this id and one question; every record must be well
// formed. Bind addresses to Answer::name only: cnames are chosen by whoever serves the name.
// The caller checks the question against the query it forwarded (same_question).
std::optional<Answer> parse_response(std::span<const std::uint8_t> packet, std::uint16_t expect_id);

// The answer's question is q's (names case-insensitively).
bool same_question(const Answer& a, const Question& q);

// A reply to q with rcode (dns::kRcodeRefused, kRcodeServFail...) echoing its question.
std::vector<std::uint8_t> error_reply(const Query& q, std::uint16_t rcode);

// The host's resolvers from resolv.conf text, as glibc reads them: "nameserver ADDR" at the
// start of a line, the first 3, port 53. Scoped IPv6 ("fe80::1%eth0") counts toward the 3 but is
// left out: Address carries no scope. Empty when none (glibc would then try 127.0.0.1).
std::vector<Address> parse_resolv_conf(std::string_view text);

}  // namespace warden::broker::net
