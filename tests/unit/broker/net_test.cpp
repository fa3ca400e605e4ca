#include "warden/broker/net.hpp"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstring>
#include <random>
#include <stdexcept>

namespace warden::broker::net {
namespace {

// An address straight from inet_pton, port included, without any of net.cpp's mapping.
Address raw(const char* text, std::uint16_t port = 0) {
  Address a{.port = port};
  if (::inet_pton(AF_INET, text, a.bytes.data()) == 1) {
    a.family = AF_INET;
  } else if (::inet_pton(AF_INET6, text, a.bytes.data()) == 1) {
    a.family = AF_INET6;
  } else {
    ADD_FAILURE() << "bad test address " << text;
  }
  return a;
}

std::vector<std::uint8_t> hex(std::string_view s) {
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] == ' ' || s[i] == '\n') {
      ++i;
      continue;
    }
    out.push_back(static_cast<std::uint8_t>(std::stoi(std::string(s.substr(i, 2)), nullptr, 16)));
    i += 2;
  }
  return out;
}

// Builds packets by hand, recording offsets for compression pointers.
struct Pkt {
  std::vector<std::uint8_t> b;
  std::size_t size() const { return b.size(); }
  Pkt& u8(int v) {
    b.push_back(static_cast<std::uint8_t>(v));
    return *this;
  }
  Pkt& u16(int v) { return u8(v >> 8).u8(v & 0xff); }
  Pkt& u32(std::uint32_t v) { return u16(static_cast<int>(v >> 16)).u16(v & 0xffff); }
  Pkt& header(int id, int flags, int qd, int an, int ns, int ar) {
    return u16(id).u16(flags).u16(qd).u16(an).u16(ns).u16(ar);
  }
  Pkt& label(std::string_view l) {
    u8(static_cast<int>(l.size()));
    b.insert(b.end(), l.begin(), l.end());
    return *this;
  }
  // Plain dotted labels, then the root.
  Pkt& name(std::string_view dotted) {
    while (!dotted.empty()) {
      std::size_t dot = dotted.find('.');
      label(dotted.substr(0, dot));
      dotted = dot == std::string_view::npos ? "" : dotted.substr(dot + 1);
    }
    return u8(0);
  }
  Pkt& ptr(std::size_t off) { return u8(0xc0 | static_cast<int>(off >> 8)).u8(off & 0xff); }
  // Type, class IN, TTL, then rdata length and the caller's rdata.
  Pkt& rr(int type, std::uint32_t ttl, int rdlen) { return u16(type).u16(1).u32(ttl).u16(rdlen); }
  Pkt& a(int x, int y, int z, int w) { return u8(x).u8(y).u8(z).u8(w); }
};

// ---------------------------------------------------------------- addresses

TEST(AddrClassify, Table) {
  struct Case {
    const char* ip;
    AddressClass want;
  };
  const Case cases[] = {
      {"127.0.0.1", AddressClass::Loopback},
      {"127.255.255.254", AddressClass::Loopback},
      {"::1", AddressClass::Loopback},
      {"::ffff:127.0.0.1", AddressClass::Loopback},  // mapped, given raw to classify
      {"169.254.169.254", AddressClass::LinkLocal},
      {"169.254.0.1", AddressClass::LinkLocal},
      {"::ffff:169.254.169.254", AddressClass::LinkLocal},
      {"64:ff9b::a9fe:a9fe", AddressClass::LinkLocal},  // NAT64 to the metadata address
      {"fe80::1", AddressClass::LinkLocal},
      {"febf:ffff::1", AddressClass::LinkLocal},
      {"10.0.0.1", AddressClass::Private},
      {"10.255.255.255", AddressClass::Private},
      {"172.16.0.1", AddressClass::Private},
      {"172.31.255.255", AddressClass::Private},
      {"192.168.1.1", AddressClass::Private},
      {"100.64.0.1", AddressClass::Private},
      {"100.127.255.255", AddressClass::Private},
      {"fc00::1", AddressClass::Private},
      {"fd12:3456::1", AddressClass::Private},
      {"fec0::1", AddressClass::Private},
      {"0.0.0.0", AddressClass::Unspecified},
      {"0.1.2.3", AddressClass::Unspecified},
      {"::", AddressClass::Unspecified},
      {"224.0.0.1", AddressClass::Multicast},
      {"239.255.255.255", AddressClass::Multicast},
      {"255.255.255.255", AddressClass::Multicast},
      {"ff02::1", AddressClass::Multicast},
      {"8.8.8.8", AddressClass::Public},
      {"172.15.255.255", AddressClass::Public},
      {"172.32.0.0", AddressClass::Public},
      {"192.169.0.1", AddressClass::Public},
      {"100.63.255.255", AddressClass::Public},
      {"100.128.0.0", AddressClass::Public},
      {"169.253.255.255", AddressClass::Public},
      {"126.255.255.255", AddressClass::Public},
      {"223.255.255.255", AddressClass::Public},
      {"2001:4860:4860::8888", AddressClass::Public},
      {"fe00::1", AddressClass::Public},
      {"64:ff9b::808:808", AddressClass::Public},
      {"::ffff:8.8.8.8", AddressClass::Public},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(classify(raw(c.ip)), c.want) << c.ip;
  }
  EXPECT_EQ(classify(Address{}), AddressClass::Unspecified) << "no family";
}

TEST(AddrFormat, ToStringAndParseIp) {
  EXPECT_EQ(to_string(raw("1.2.3.4", 443)), "1.2.3.4:443");
  EXPECT_EQ(to_string(raw("2001:db8::1", 443)), "[2001:db8::1]:443");
  EXPECT_EQ(to_string(raw("::1")), "[::1]:0");
  EXPECT_EQ(ip_string(raw("2001:db8::1", 443)), "2001:db8::1");
  EXPECT_EQ(to_string(Address{}), "<invalid>:0");

  EXPECT_EQ(parse_ip("1.2.3.4"), raw("1.2.3.4"));
  EXPECT_EQ(parse_ip("2001:db8::1"), raw("2001:db8::1"));
  EXPECT_EQ(parse_ip("::ffff:10.1.2.3"), raw("10.1.2.3"));
  const char* bad[] = {"",      "1.2.3",        "1.2.3.4.5", "256.1.1.1",
                       "[::1]", "fe80::1%eth0", "host",      "1.2.3.4 "};
  for (const char* b : bad) EXPECT_FALSE(parse_ip(b)) << b;
  EXPECT_FALSE(parse_ip(std::string_view("1.2.3.4\0junk", 12)));
}

TEST(AddrSockaddr, FromSockaddr) {
  sockaddr_in in{};
  in.sin_family = AF_INET;
  in.sin_port = htons(443);
  ::inet_pton(AF_INET, "93.184.216.34", &in.sin_addr);
  sockaddr_in6 in6{};
  in6.sin6_family = AF_INET6;
  in6.sin6_port = htons(8080);
  ::inet_pton(AF_INET6, "2001:db8::1", &in6.sin6_addr);
  sockaddr_in6 mapped = in6;
  ::inet_pton(AF_INET6, "::ffff:127.0.0.1", &mapped.sin6_addr);
  sockaddr_un un{};
  un.sun_family = AF_UNIX;

  struct Case {
    const char* what;
    const void* sa;
    std::size_t len;
    std::optional<Address> want;
  };
  const Case cases[] = {
      {"v4", &in, sizeof in, raw("93.184.216.34", 443)},
      {"v4 short", &in, sizeof in - 1, std::nullopt},
      {"v4 len 0", &in, 0, std::nullopt},
      {"v4 len 1", &in, 1, std::nullopt},
      {"null", nullptr, sizeof in, std::nullopt},
      {"v6", &in6, sizeof in6, raw("2001:db8::1", 8080)},
      {"v6 RFC 2133 size", &in6, 24, raw("2001:db8::1", 8080)},
      {"v6 short", &in6, 23, std::nullopt},
      {"v6 mapped", &mapped, sizeof mapped, raw("127.0.0.1", 8080)},
      {"unix", &un, sizeof un, std::nullopt},
  };
  for (const auto& c : cases) EXPECT_EQ(from_sockaddr(c.sa, c.len), c.want) << c.what;

  // A length past sockaddr_storage is refused as the kernel does, even with a valid family.
  std::vector<std::uint8_t> big(sizeof(sockaddr_storage) + 1);
  std::memcpy(big.data(), &in, sizeof in);
  EXPECT_FALSE(from_sockaddr(big.data(), big.size()));
  EXPECT_TRUE(from_sockaddr(big.data(), big.size() - 1));

  // The program's buffer need not be aligned.
  std::vector<std::uint8_t> odd(sizeof in6 + 1);
  std::memcpy(odd.data() + 1, &in6, sizeof in6);
  EXPECT_EQ(from_sockaddr(odd.data() + 1, sizeof in6), raw("2001:db8::1", 8080));
}

TEST(AddrSockaddr, ToSockaddrRoundTrip) {
  for (const Address& a : {raw("1.2.3.4", 80), raw("2001:db8::1", 443), raw("::1", 1)}) {
    sockaddr_storage ss;
    std::size_t len = to_sockaddr(a, ss);
    EXPECT_EQ(len, a.family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6));
    EXPECT_EQ(ss.ss_family, a.family);
    EXPECT_EQ(from_sockaddr(&ss, len), a) << to_string(a);
  }
  sockaddr_storage ss;
  ASSERT_EQ(to_sockaddr(raw("10.0.0.1", 22), ss, AF_INET6), sizeof(sockaddr_in6));
  sockaddr_in6 in6;
  std::memcpy(&in6, &ss, sizeof in6);
  char buf[INET6_ADDRSTRLEN];
  ASSERT_TRUE(::inet_ntop(AF_INET6, &in6.sin6_addr, buf, sizeof buf));
  EXPECT_STREQ(buf, "::ffff:10.0.0.1");
  EXPECT_EQ(ntohs(in6.sin6_port), 22);
  EXPECT_EQ(from_sockaddr(&ss, sizeof in6), raw("10.0.0.1", 22));
  EXPECT_EQ(to_sockaddr(Address{}, ss), 0u);
}

// ---------------------------------------------------------------- host patterns

TEST(HostPatterns, Matching) {
  HostPatterns p({"github.com", "*.githubusercontent.com", "api.example.com:443",
                  "*.corp.example:8443", "127.0.0.1:5432", "[::1]:8080", "10.0.0.0/8",
                  "2001:db8::/32", "Mixed.Case.ORG.", "172.16.0.0/12:22", "[::ffff:192.0.2.0/120]",
                  "[2001:db8:1::5]"});
  struct Case {
    const char* host;
    Address addr;
    bool want;
  };
  const Address pub = raw("140.82.112.3", 443);
  const Case cases[] = {
      {"github.com", pub, true},
      {"GitHub.COM.", pub, true},
      {"github.com..", pub, false},  // one trailing dot only
      {"api.github.com", pub, false},
      {"xgithub.com", pub, false},
      {"raw.githubusercontent.com", pub, true},
      {"a.b.githubusercontent.com", pub, true},
      {"githubusercontent.com", pub, false},  // "*.x" is strictly below x
      {"xgithubusercontent.com", pub, false},
      {"evilgithubusercontent.com", pub, false},
      {"githubusercontent.com.evil.net", pub, false},
      {"a\\.githubusercontent.com", pub, false},  // the label "a.githubusercontent" under com
      {"api.example.com", raw("1.1.1.1", 443), true},
      {"API.Example.Com.", raw("1.1.1.1", 443), true},
      {"api.example.com", raw("1.1.1.1", 80), false},
      {"x.corp.example", raw("10.9.9.9", 8443), true},  // also inside 10/8
      {"x.corp.example", raw("192.168.0.1", 8443), true},
      {"x.corp.example", raw("192.168.0.1", 443), false},
      {"corp.example", raw("192.168.0.1", 8443), false},
      {"", raw("127.0.0.1", 5432), true},
      {"anything.example", raw("127.0.0.1", 5432), true},
      {"", raw("127.0.0.1", 5433), false},
      {"", raw("::1", 8080), true},
      {"", raw("::1", 8081), false},
      {"", raw("127.0.0.1", 8080), false},
      {"", raw("10.1.2.3", 1), true},
      {"", raw("::ffff:10.1.2.3", 1), true},  // given mapped: still 10/8
      {"", raw("11.0.0.0", 1), false},
      {"", raw("2001:db8:ffff::1", 443), true},
      {"", raw("2001:db9::1", 443), false},
      {"mixed.case.org", pub, true},
      {"", raw("172.31.0.1", 22), true},
      {"", raw("172.31.0.1", 23), false},
      {"", raw("172.32.0.1", 22), false},
      {"", raw("192.0.2.55", 9), true},  // mapped CIDR holds IPv4 addresses
      {"", raw("192.0.3.1", 9), false},
      {"", raw("2001:db8:1::5", 9), true},
      {"", raw("2001:db8:1::6", 9), true},  // inside 2001:db8::/32
      {"", raw("2001:db9:1::5", 9), false},
      {"", pub, false},  // a name-less public address matches no name
      {"github.com\\", pub, false},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(p.allows(c.host, c.addr), c.want) << c.host << " " << to_string(c.addr);
  }
  EXPECT_FALSE(HostPatterns({}).allows("github.com", pub));
}

TEST(HostPatterns, RejectsBadEntries) {
  const char* bad[] = {
      "",
      "*",
      "*.",
      "a..b",
      ".github.com",
      "github..com",
      "*.*.github.com",
      "git*hub.com",
      "exa mple.com",
      "gith\\ub.com",
      "github.com:0",
      "github.com:65536",
      "github.com:99999999",
      "github.com:",
      "github.com:44x",
      "github.com:-1",
      "github.com:+1",
      "host:80:90",
      "10.0.0.0/33",
      "10.0.0.1/8",
      "10.0.0.0/",
      "10.0.0.0/x",
      "10.0.0.0/-1",
      "/8",
      "2001:db8::/129",
      "2001:db8::1/32",
      "[1.2.3.4]:80",
      "[::1",
      "[::1]80",
      "[::1]:",
      "[::1]:0",
      "[]",
      "[github.com]:80",
      "1.2.3.4.5",
      "300.1.1.1",
      "a.123",
      "fe80::1%eth0",
      "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.com",  // 65-byte label
  };
  for (const char* b : bad) {
    try {
      HostPatterns p({"github.com", b});
      ADD_FAILURE() << "accepted \"" << b << "\"";
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("\"" + std::string(b) + "\""), std::string::npos)
          << e.what();
    }
  }
  const char* good[] = {"a",         "x-y_z.example",      "*.com", "[::1]",
                        "::1",       "0.0.0.0/0",          "::/0",  "host.example:65535",
                        "1.2.3.4:1", "[2001:db8::/32]:443"};
  for (const char* g : good) EXPECT_NO_THROW(HostPatterns({g})) << g;
}

// ---------------------------------------------------------------- DNS

// dig example.com A, no EDNS: id 0x1234, RD.
const std::vector<std::uint8_t> kQueryExample =
    hex("1234 0100 0001 0000 0000 0000"
        "07 6578616d706c65 03 636f6d 00 0001 0001");

// Its answer: two A records with pointers to the question name, TTLs 3600 and 300.
const std::vector<std::uint8_t> kResponseExample =
    hex("1234 8180 0001 0002 0000 0000"
        "07 6578616d706c65 03 636f6d 00 0001 0001"
        "c00c 0001 0001 00000e10 0004 5db8d822"
        "c00c 0001 0001 0000012c 0004 5db8d70e");

TEST(DnsQuery, ParsesExampleCom) {
  auto q = parse_query(kQueryExample);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->id, 0x1234);
  EXPECT_EQ(q->flags, 0x0100);
  EXPECT_EQ(q->question.name, "example.com");
  EXPECT_EQ(q->question.type, dns::kTypeA);
  EXPECT_EQ(q->question.klass, dns::kClassIn);
}

TEST(DnsQuery, AcceptsEdnsAndKeepsCaseAndEscapes) {
  Pkt p;
  p.header(7, 0x0120, 1, 0, 0, 1)
      .label("WwW")
      .label("a.b")
      .label("sp ce")
      .label(std::string(1, '\0'))
      .label("back\\")
      .u8(0)
      .u16(dns::kTypeAaaa)
      .u16(1);
  p.u8(0).u16(41).u16(1232).u32(0).u16(0);  // EDNS OPT, no options
  auto q = parse_query(p.b);
  ASSERT_TRUE(q);
  EXPECT_EQ(q->question.name, "WwW.a\\.b.sp\\032ce.\\000.back\\\\");
  EXPECT_EQ(q->question.type, dns::kTypeAaaa);

  Pkt root;
  root.header(8, 0, 1, 0, 0, 0).u8(0).u16(2).u16(1);
  auto r = parse_query(root.b);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->question.name, ".");
}

TEST(DnsQuery, RejectsMalformed) {
  auto with = [](std::size_t off, std::uint8_t v) {
    auto b = kQueryExample;
    b[off] = v;
    return b;
  };
  auto plus = [](std::vector<std::uint8_t> b, std::initializer_list<std::uint8_t> more) {
    b.insert(b.end(), more);
    return b;
  };
  auto name_of = [](std::vector<int> label_sizes) {
    Pkt p;
    p.header(1, 0, 1, 0, 0, 0);
    for (int n : label_sizes) p.label(std::string(static_cast<std::size_t>(n), 'a'));
    p.u8(0).u16(1).u16(1);
    return p.b;
  };
  ASSERT_TRUE(parse_query(name_of({63, 63, 63, 61}))) << "255 bytes on the wire is the limit";
  struct Case {
    const char* what;
    std::vector<std::uint8_t> pkt;
  };
  const Case cases[] = {
      {"empty", {}},
      {"truncated header", {kQueryExample.begin(), kQueryExample.begin() + 11}},
      {"header only", {kQueryExample.begin(), kQueryExample.begin() + 12}},
      {"QR set", with(2, 0x81)},
      {"opcode NOTIFY", with(2, 0x20)},
      {"no question", with(5, 0)},
      {"two questions", with(5, 2)},
      {"an answer", with(7, 1)},
      {"an authority record", with(9, 1)},
      {"additional count without a record", with(11, 1)},
      {"trailing byte", plus(kQueryExample, {0})},
      {"label past the end", with(20, 0x3f)},
      {"label type 0x40", with(12, 0x47)},
      {"label type 0x80", with(12, 0x87)},
      {"name over 255", name_of({63, 63, 63, 62})},
      {"label over 63", name_of({64})},
      {"pointer to itself", hex("0001 0000 0001 0000 0000 0000 c00c 0001 0001")},
      {"pointer into the header", hex("0001 0000 0001 0000 0000 0000 c002 0001 0001")},
      {"pointer past the end", hex("0001 0000 0001 0000 0000 0000 c0ff 0001 0001")},
      {"pointer far past the end", hex("0001 0000 0001 0000 0000 0000 ffff 0001 0001")},
      {"half a pointer", hex("0001 0000 0001 0000 0000 0000 c0")},
      {"no type and class", hex("0001 0000 0001 0000 0000 0000 00 0001")},
  };
  for (const auto& c : cases) EXPECT_FALSE(parse_query(c.pkt)) << c.what;
  for (std::size_t n = 0; n < kQueryExample.size(); ++n) {
    EXPECT_FALSE(parse_query({kQueryExample.data(), n})) << "prefix " << n;
  }
}

TEST(DnsResponse, TwoARecords) {
  auto a = parse_response(kResponseExample, 0x1234);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "example.com");
  EXPECT_EQ(a->type, dns::kTypeA);
  EXPECT_EQ(a->rcode, 0);
  EXPECT_FALSE(a->truncated);
  EXPECT_EQ(a->addresses, (std::vector<Address>{raw("93.184.216.34"), raw("93.184.215.14")}));
  EXPECT_TRUE(a->cnames.empty());
  EXPECT_EQ(a->ttl_min, 300u);
  EXPECT_TRUE(same_question(*a, parse_query(kQueryExample)->question));
  EXPECT_FALSE(parse_response(kResponseExample, 0x1235)) << "ID must match";
}

// www.x.com CNAME edge.x.com (compressed onto the question), edge.x.com CNAME x.cdn.net,
// x.cdn.net A 1.2.3.4, plus records that must not bind: an unrelated name in the answer and
// an A record for www.x.com in the additional section.
Pkt cname_chain(std::string_view final_owner_case = "") {
  Pkt p;
  p.header(0xbeef, 0x8180, 1, 4, 0, 1);
  std::size_t q = p.size();
  p.name("www.x.com").u16(dns::kTypeA).u16(1);
  std::size_t x_com = q + 4;
  p.ptr(q).rr(dns::kTypeCname, 600, 7);
  std::size_t edge = p.size();
  p.label("edge").ptr(x_com);
  p.ptr(edge).rr(dns::kTypeCname, 120, 11);
  std::size_t cdn = p.size();
  p.name("x.cdn.net");
  if (final_owner_case.empty()) {
    p.ptr(cdn);
  } else {
    p.name(final_owner_case);
  }
  p.rr(dns::kTypeA, 60, 4).a(1, 2, 3, 4);
  p.label("other").ptr(cdn + 6).rr(dns::kTypeA, 5, 4).a(6, 6, 6, 6);  // other.net
  p.ptr(q).rr(dns::kTypeA, 5, 4).a(7, 7, 7, 7);
  return p;
}

TEST(DnsResponse, CnameChainWithCompression) {
  auto a = parse_response(cname_chain().b, 0xbeef);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "www.x.com");
  EXPECT_EQ(a->cnames, (std::vector<std::string>{"edge.x.com", "x.cdn.net"}));
  EXPECT_EQ(a->addresses, std::vector<Address>{raw("1.2.3.4")});
  EXPECT_EQ(a->ttl_min, 60u);

  // Owner names compare case-insensitively (0x20 randomisation).
  auto upper = parse_response(cname_chain("X.CDN.Net").b, 0xbeef);
  ASSERT_TRUE(upper);
  EXPECT_EQ(upper->addresses, std::vector<Address>{raw("1.2.3.4")});
}

TEST(DnsResponse, AaaaAnswer) {
  Pkt p;
  p.header(0x0a0a, 0x8180, 1, 3, 0, 0);
  std::size_t q = p.size();
  p.name("ipv6.google.com").u16(dns::kTypeAaaa).u16(1);
  p.ptr(q).rr(dns::kTypeCname, 3000, 9);
  std::size_t target = p.size();
  p.label("ipv6").label("l").ptr(q + 5);  // ipv6.l.google.com
  p.ptr(target).rr(dns::kTypeAaaa, 300, 16);
  for (auto byte : hex("2607f8b04005080b000000000000200e")) p.u8(byte);
  p.ptr(target).rr(dns::kTypeAaaa, 200, 16);
  for (auto byte : hex("00000000000000000000ffff01020304")) p.u8(byte);
  auto a = parse_response(p.b, 0x0a0a);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->name, "ipv6.google.com");
  EXPECT_EQ(a->cnames, std::vector<std::string>{"ipv6.l.google.com"});
  // A mapped AAAA binds as the IPv4 address a connect to it is reported as.
  EXPECT_EQ(a->addresses, (std::vector<Address>{raw("2607:f8b0:4005:80b::200e"), raw("1.2.3.4")}));
  EXPECT_EQ(a->ttl_min, 200u);
}

TEST(DnsResponse, NegativeTruncatedAndCnameLoop) {
  Pkt nx;
  nx.header(5, 0x8383, 1, 0, 0, 0).name("nope.example").u16(1).u16(1);
  auto a = parse_response(nx.b, 5);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rcode, dns::kRcodeNxDomain);
  EXPECT_TRUE(a->truncated);
  EXPECT_TRUE(a->addresses.empty());
  EXPECT_EQ(a->ttl_min, 0u);

  // a CNAME b, b CNAME a: the chain stops at the repeat.
  Pkt loop;
  loop.header(6, 0x8180, 1, 3, 0, 0);
  std::size_t q = loop.size();
  loop.name("a.test").u16(1).u16(1);
  loop.ptr(q).rr(dns::kTypeCname, 9, 8).name("b.test");
  loop.name("b.test").rr(dns::kTypeCname, 9, 2).ptr(q);
  loop.ptr(q).rr(dns::kTypeA, 9, 4).a(9, 9, 9, 9);
  auto l = parse_response(loop.b, 6);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->cnames, std::vector<std::string>{"b.test"});
  EXPECT_EQ(l->addresses, std::vector<Address>{raw("9.9.9.9")});

  // A TTL with the top bit set counts as 0 (RFC 2181).
  auto high = kResponseExample;
  high[35] = 0x80;
  auto h = parse_response(high, 0x1234);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->ttl_min, 0u);
}

TEST(DnsResponse, RejectsMalformed) {
  const auto good = kResponseExample;
  ASSERT_TRUE(parse_response(good, 0x1234));
  auto with = [&](std::size_t off, std::uint8_t v) {
    auto b = good;
    b[off] = v;
    return b;
  };
  auto plus = [&](std::initializer_list<std::uint8_t> more) {
    auto b = good;
    b.insert(b.end(), more);
    return b;
  };
  // Two pointers that point at each other: the second owner is c0 <first>, the first (inside an
  // opaque record's rdata) points forward to the second.
  Pkt ping;
  ping.header(1, 0x8180, 1, 2, 0, 0).name("t").u16(1).u16(1);
  std::size_t first = ping.size() + 12;
  ping.ptr(12).u16(99).u16(1).u32(0).u16(2).ptr(first + 2);
  ping.ptr(first).rr(dns::kTypeA, 0, 4).a(1, 1, 1, 1);
  // A pointer back into the labels already being read: "a" "b" then a pointer to "b".
  Pkt spin;
  spin.header(1, 0x8180, 1, 2, 0, 0).name("t").u16(1).u16(1);
  std::size_t rd = spin.size() + 12;
  spin.ptr(12).u16(99).u16(1).u32(0).u16(6).label("a").label("b").ptr(rd + 2);
  spin.ptr(rd).rr(dns::kTypeA, 0, 4).a(1, 1, 1, 1);
  // A name reached through pointers that grows past 255 bytes.
  Pkt longname;
  longname.header(1, 0x8180, 1, 1, 0, 0);
  std::size_t q = longname.size();
  longname.label(std::string(63, 'a'))
      .label(std::string(63, 'b'))
      .label(std::string(63, 'c'))
      .label(std::string(60, 'd'))
      .u8(0)
      .u16(1)
      .u16(1);  // 254 bytes: valid
  longname.label("e").ptr(q).rr(dns::kTypeA, 0, 4).a(1, 1, 1, 1);
  // CNAME rdata longer than its name.
  Pkt cname_len;
  cname_len.header(1, 0x8180, 1, 1, 0, 0).name("t").u16(1).u16(1);
  cname_len.ptr(12).rr(dns::kTypeCname, 0, 5).name("ab").u8(0);

  struct Case {
    const char* what;
    std::vector<std::uint8_t> pkt;
  };
  const Case cases[] = {
      {"truncated header", {good.begin(), good.begin() + 11}},
      {"QR clear", with(2, 0x01)},
      {"opcode 2", with(2, 0x90)},
      {"no question", with(5, 0)},
      {"two questions", with(5, 2)},
      {"one more answer than present", with(7, 3)},
      {"trailing byte", plus({0})},
      {"label past the end", with(20, 0x3f)},
      {"answer owner points at itself", with(30, 0x1d)},
      {"answer owner points forward past the end", with(30, 0xff)},
      {"answer owner points far past the end", with(29, 0xff)},
      {"rdlength past the end", with(39, 0x05)},
      {"A with 5 bytes", with(40, 0x05)},
      {"A with 3 bytes", with(40, 0x03)},
      {"pointer ping-pong", ping.b},
      {"pointer into the current name", spin.b},
      {"name over 255 through a pointer", longname.b},
      {"CNAME rdlength past its name", cname_len.b},
  };
  for (const auto& c : cases) {
    std::uint16_t id = c.pkt.size() >= 2 ? static_cast<std::uint16_t>(c.pkt[0] << 8 | c.pkt[1]) : 0;
    EXPECT_FALSE(parse_response(c.pkt, id)) << c.what;
  }
  for (std::size_t n = 0; n < good.size(); ++n) {
    EXPECT_FALSE(parse_response({good.data(), n}, 0x1234)) << "prefix " << n;
  }
}

TEST(DnsErrorReply, EchoesTheQuestion) {
  auto q = parse_query(kQueryExample);
  ASSERT_TRUE(q);
  EXPECT_EQ(error_reply(*q, dns::kRcodeRefused), hex("1234 8185 0001 0000 0000 0000"
                                                     "07 6578616d706c65 03 636f6d 00 0001 0001"));
  q->flags = 0;  // RD clear stays clear
  auto servfail = error_reply(*q, dns::kRcodeServFail);
  EXPECT_EQ(servfail[2], 0x80);
  EXPECT_EQ(servfail[3], 0x82);

  // Case and odd bytes come back exactly as sent, so the client accepts the reply.
  Pkt odd;
  odd.header(0x4242, 0x0100, 1, 0, 0, 0);
  odd.label("ExAmPle").label("a.b").label(std::string("\0\xff ", 3)).label("X").u8(0);
  odd.u16(dns::kTypeAaaa).u16(dns::kClassIn);
  auto oq = parse_query(odd.b);
  ASSERT_TRUE(oq);
  auto reply = error_reply(*oq, dns::kRcodeRefused);
  ASSERT_EQ(reply.size(), odd.b.size());
  EXPECT_TRUE(std::equal(odd.b.begin() + 12, odd.b.end(), reply.begin() + 12));
  auto parsed = parse_response(reply, 0x4242);
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->rcode, dns::kRcodeRefused);
  EXPECT_TRUE(same_question(*parsed, oq->question));
  EXPECT_FALSE(same_question(*parsed, q->question));

  // A hand-made query whose name cannot be encoded gets a reply without a question.
  Query bad{.id = 9, .flags = 0x0100, .question = {"a..b", 1, 1}};
  EXPECT_EQ(error_reply(bad, dns::kRcodeServFail), hex("0009 8182 0000 0000 0000 0000"));
  Query trailing_escape{.id = 9, .flags = 0, .question = {"a\\\\", 1, 1}};
  EXPECT_EQ(error_reply(trailing_escape, 5).size(), 12u + 4 + 4);  // label "a\\"
  const std::string l63(63, 'a');
  const std::string l64(64, 'a');
  const std::string max_name = l63 + "." + l63 + "." + l63 + "." + std::string(61, 'b');
  for (const std::string& name : {std::string("a\\"), std::string("a\\25"), std::string("a\\256"),
                                  l64, "b." + l64, l64 + ".b", max_name + "b", "." + l63}) {
    Query q2{.id = 9, .flags = 0, .question = {name, 1, 1}};
    EXPECT_EQ(error_reply(q2, 5).size(), 12u) << name;
  }
  for (const std::string& name : {l63, "b." + l63, max_name, max_name + "."}) {
    Query q2{.id = 9, .flags = 0, .question = {name, 1, 1}};
    EXPECT_EQ(error_reply(q2, 5).size(), 12u + name.size() - (name.back() == '.') + 2 + 4) << name;
  }
}

// Random damage to valid packets: parsing must end, and what it accepts must be sane.
TEST(DnsFuzz, MutatedResponsesNeverCrash) {
  const std::vector<std::vector<std::uint8_t>> seeds = {kResponseExample, cname_chain().b};
  std::mt19937 rng(20240611);
  int accepted = 0;
  int rejected = 0;
  for (int i = 0; i < 10000; ++i) {
    auto b = seeds[static_cast<std::size_t>(i) % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits && !b.empty(); ++e) {
      std::size_t at = rng() % b.size();
      switch (rng() % 6) {
        case 0:
          b[at] = static_cast<std::uint8_t>(rng());
          break;
        case 1:
          b[at] ^= static_cast<std::uint8_t>(1u << (rng() % 8));
          break;
        case 2:
          b.resize(at);
          break;
        case 3:
          b.insert(b.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(rng()));
          break;
        case 4:  // a compression pointer anywhere
          b[at] = static_cast<std::uint8_t>(0xc0 | (rng() % 2));
          if (at + 1 < b.size()) b[at + 1] = static_cast<std::uint8_t>(rng());
          break;
        case 5:
          if (at + 1 < b.size()) b.erase(b.begin() + static_cast<std::ptrdiff_t>(at));
          break;
      }
    }
    std::uint16_t id = b.size() >= 2 ? static_cast<std::uint16_t>(b[0] << 8 | b[1]) : 0;
    auto a = parse_response(b, id);
    auto q = parse_query(b);  // the same bytes as a query, for the other parser
    if (!a) {
      ++rejected;
      continue;
    }
    ++accepted;
    EXPECT_LE(a->name.size(), 4u * 255);
    EXPECT_LE(a->addresses.size() + a->cnames.size(), b.size() / 11);
    for (const Address& addr : a->addresses) {
      EXPECT_TRUE(addr.family == AF_INET || addr.family == AF_INET6);
      EXPECT_EQ(addr.port, 0);
    }
    for (const auto& c : a->cnames) EXPECT_LE(c.size(), 4u * 255);
    if (q) {
      EXPECT_LE(q->question.name.size(), 4u * 255);
    }
  }
  // Both outcomes must occur, or the mutations exercise nothing.
  EXPECT_GT(accepted, 100);
  EXPECT_GT(rejected, 1000);
}

TEST(DnsFuzz, MutatedQueriesNeverCrash) {
  Pkt edns;
  edns.header(3, 0x0100, 1, 0, 0, 1).name("www.example.org").u16(1).u16(1);
  edns.u8(0).u16(41).u16(1232).u32(0).u16(4).u16(10).u16(0);  // an empty COOKIE option
  ASSERT_TRUE(parse_query(edns.b));
  std::mt19937 rng(7);
  int accepted = 0;
  for (int i = 0; i < 10000; ++i) {
    auto b = i % 2 ? edns.b : kQueryExample;
    for (int e = 0; e < 2; ++e) {
      std::size_t at = rng() % b.size();
      if (rng() % 3 == 0) {
        b.resize(std::max<std::size_t>(at, 1));
      } else {
        b[at] = static_cast<std::uint8_t>(rng());
      }
    }
    if (auto q = parse_query(b)) {
      ++accepted;
      EXPECT_LE(q->question.name.size(), 4u * 255);
      // Whatever we accept, we can answer.
      auto reply = error_reply(*q, dns::kRcodeRefused);
      auto back = parse_response(reply, q->id);
      ASSERT_TRUE(back) << "query " << i;
      EXPECT_TRUE(same_question(*back, q->question));
    }
  }
  EXPECT_GT(accepted, 100);
}

// ---------------------------------------------------------------- resolv.conf

TEST(DnsResolvConf, Table) {
  struct Case {
    const char* what;
    const char* text;
    std::vector<Address> want;
  };
  const Case cases[] = {
      {"typical",
       "# Generated\n"
       "; also a comment\n"
       "search corp.example\n"
       "nameserver 10.0.0.2\n"
       "nameserver\t2001:db8::53   # trailing words are ignored\n"
       " nameserver 9.9.9.9\n"  // not at the start of the line
       "nameserver8.8.8.8\n"    // no blank after the keyword
       "#nameserver 7.7.7.7\n"
       "nameserver 1.1.1.1\n"
       "nameserver 8.8.4.4\n"  // a fourth: glibc keeps 3
       "options edns0\n",
       {raw("10.0.0.2", 53), raw("2001:db8::53", 53), raw("1.1.1.1", 53)}},
      {"empty", "", {}},
      {"no newline at the end", "nameserver 127.0.0.53", {raw("127.0.0.53", 53)}},
      {"glibc's inet_aton forms", "nameserver 127.1\n", {raw("127.0.0.1", 53)}},
      {"mapped", "nameserver ::ffff:1.2.3.4\n", {raw("1.2.3.4", 53)}},
      {"bad addresses do not count",
       "nameserver bogus\nnameserver 1.2.3.4.5\nnameserver\nnameserver 1.1.1.1\n",
       {raw("1.1.1.1", 53)}},
      {"a scoped address counts but is left out",
       "nameserver fe80::1%eth0\nnameserver 1.1.1.1\nnameserver 2.2.2.2\nnameserver 3.3.3.3\n",
       {raw("1.1.1.1", 53), raw("2.2.2.2", 53)}},
      {"CR before the newline, which glibc refuses too", "nameserver 1.1.1.1\r\n", {}},
      {"upper case keyword", "NAMESERVER 1.1.1.1\n", {}},
  };
  for (const auto& c : cases) EXPECT_EQ(parse_resolv_conf(c.text), c.want) << c.what;
  EXPECT_EQ(parse_resolv_conf(std::string_view("nameserver 1.1.1.1\0junk\n", 24)),
            std::vector<Address>{});
}

}  // namespace
}  // namespace warden::broker::net
