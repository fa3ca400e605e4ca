// JSON for the audit log (one object per line) and for requests and reviewer answers.
// Paths need not be UTF-8, so strings use Python's "surrogateescape": a byte that is not part of
// valid UTF-8 is written as \udcXX and parse() turns \udcXX back into that byte. Any byte string
// therefore round-trips and every record is valid JSON on a single line.
#pragma once

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace warden::policy::json {

// Appends `bytes` as a quoted JSON string literal (see above). Never emits a byte below 0x20.
void append_string(std::string& out, std::string_view bytes);
std::string quote(std::string_view bytes);

// Builds one JSON text by appending; it places the commas and colons, the caller the structure.
class Writer {
 public:
  Writer& key(std::string_view k);
  Writer& string(std::string_view s);
  Writer& number(std::int64_t n);
  Writer& number(double d);  // NaN and infinities have no JSON form: written as null
  Writer& boolean(bool b);
  Writer& null();
  Writer& begin_object();
  Writer& end_object();
  Writer& begin_array();
  Writer& end_array();
  Writer& raw(std::string_view json);  // a complete JSON value, appended as is

  const std::string& str() const { return out_; }
  std::string take();  // moves the text out and resets the writer
  void clear();

 private:
  void separate();

  std::string out_;
  bool need_comma_ = false;
};

// Malformed input. what() is "LINE:COLUMN: message"; line and column are 1-based, the column
// counts bytes.
class ParseError : public std::runtime_error {
 public:
  ParseError(std::size_t line, std::size_t column, const std::string& message);
  std::size_t line() const { return line_; }
  std::size_t column() const { return column_; }
  const std::string& message() const { return message_; }

 private:
  std::size_t line_;
  std::size_t column_;
  std::string message_;
};

// An accessor used on a value of another type ("expected string, got number").
class TypeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class Value {
 public:
  enum class Type { Null, Bool, Int, Double, String, Array, Object };
  using Array = std::vector<Value>;
  using Member = std::pair<std::string, Value>;
  using Object = std::vector<Member>;  // insertion order, keys unique when parsed

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int n) : v_(std::int64_t{n}) {}
  Value(std::int64_t n) : v_(n) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(Array a) : v_(std::move(a)) {}
  Value(Object o) : v_(std::move(o)) {}

  Type type() const { return static_cast<Type>(v_.index()); }
  const char* type_name() const;
  bool is_null() const { return type() == Type::Null; }
  bool is_bool() const { return type() == Type::Bool; }
  bool is_int() const { return type() == Type::Int; }
  bool is_double() const { return type() == Type::Double; }
  bool is_number() const { return is_int() || is_double(); }
  bool is_string() const { return type() == Type::String; }
  bool is_array() const { return type() == Type::Array; }
  bool is_object() const { return type() == Type::Object; }

  // Throw TypeError on a value of another type.
  bool as_bool() const;
  std::int64_t as_int() const;  // integers only: 1.0 is a double
  double as_double() const;     // either kind of number
  const std::string& as_string() const;
  const Array& as_array() const;
  const Object& as_object() const;
  Array& as_array();
  Object& as_object();

  // The member named `key`, or nullptr when absent or when this is not an object.
  const Value* find(std::string_view key) const;

  bool operator==(const Value&) const = default;

 private:
  std::variant<std::monostate, bool, std::int64_t, double, std::string, Array, Object> v_;
};

inline constexpr std::size_t kDefaultMaxSize = 1 << 20;
inline constexpr int kMaxDepth = 64;  // arrays and objects nested deeper are rejected

// Strict RFC 8259 plus the \udcXX rule above. Throws ParseError.
Value parse(std::string_view text, std::size_t max_size = kDefaultMaxSize);

// Compact JSON text for a value; strings through append_string.
void append_value(std::string& out, const Value& v);
std::string serialize(const Value& v);

}  // namespace warden::policy::json
