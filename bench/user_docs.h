// Seeded generator of user-like JSON documents (about 220 bytes each on average, 190-265),
// shared by the document benchmarks. Header-only.
//
// Document i for a seed is a pure function of (seed, i): make_user_doc(i, seed) and
// make_user_docs(n, seed)[i] are the same text, so a benchmark can build a large set batch
// by batch without holding it all. Ids are "user:<i>" (user_doc_id).
//
// Shape (compact JSON, keys always in this order, no duplicate keys, nothing to escape):
//   {"name":"Olivia Tanaka","email":"olivia.tanaka58@corp.test","age":58,"city":"Córdoba",
//    "country":"AR","tags":["churn-risk","developer","newsletter"],"active":true,
//    "score":66.23,"address":{"street":"255 Pine St","city":"Córdoba","zip":"45236"}}
// - name: one of 32 first x 32 last names; email derived from it plus a number < 100.
// - age: 18..90 (an integer).
// - city: one of 50 (kUserCities, uniform), six of them non-ASCII (UTF-8); country: the
//   city's ISO 3166 code, one of 20 (kUserCountries); address.city repeats the city.
// - tags: 0..3 distinct values out of 16 (kUserTags). active: true for about 80%.
// - score: 0.01..99.99 with exactly two decimals, never a trailing zero (so any
//   shortest-round-trip double formatter prints it back the same way).
// - address.street: "<1..999> <name> <St|Ave|Rd|Ln|Blvd>"; zip: 5 digits, a string.
#pragma once

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace kora_bench {

// ISO 3166-1 alpha-2 codes.
inline constexpr std::array<std::string_view, 20> kUserCountries = {
    "US", "CA", "MX", "BR", "AR", "GB", "FR", "DE", "ES", "PT",
    "IT", "NL", "SE", "PL", "CH", "JP", "KR", "IN", "AU", "ZA"};

struct UserCity {
  std::string_view name;
  std::uint8_t country;  // index into kUserCountries
};

inline constexpr std::array<UserCity, 50> kUserCities = {{
    {"New York", 0},    {"Los Angeles", 0},   {"Chicago", 0},    {"Houston", 0},
    {"Seattle", 0},     {"Toronto", 1},       {"Montréal", 1},   {"Vancouver", 1},
    {"Mexico City", 2}, {"Guadalajara", 2},   {"São Paulo", 3},  {"Rio de Janeiro", 3},
    {"Brasília", 3},    {"Buenos Aires", 4},  {"Córdoba", 4},    {"London", 5},
    {"Manchester", 5},  {"Edinburgh", 5},     {"Paris", 6},      {"Lyon", 6},
    {"Marseille", 6},   {"Berlin", 7},        {"Munich", 7},     {"Hamburg", 7},
    {"Madrid", 8},      {"Barcelona", 8},     {"Valencia", 8},   {"Lisbon", 9},
    {"Porto", 9},       {"Rome", 10},         {"Milan", 10},     {"Naples", 10},
    {"Amsterdam", 11},  {"Rotterdam", 11},    {"Stockholm", 12}, {"Göteborg", 12},
    {"Warsaw", 13},     {"Kraków", 13},       {"Zürich", 14},    {"Geneva", 14},
    {"Tokyo", 15},      {"Osaka", 15},        {"Seoul", 16},     {"Busan", 16},
    {"Mumbai", 17},     {"Bangalore", 17},    {"Sydney", 18},    {"Melbourne", 18},
    {"Cape Town", 19},  {"Johannesburg", 19},
}};

inline constexpr std::array<std::string_view, 16> kUserTags = {
    "admin",   "beta", "premium", "trial",   "verified",  "newsletter", "mobile",     "desktop",
    "support", "vip",  "partner", "student", "developer", "moderator",  "early-bird", "churn-risk"};

namespace user_docs_internal {

inline constexpr std::array<std::string_view, 32> kFirstNames = {
    "Olivia", "Liam",  "Emma",   "Noah",  "Ava",    "Elijah", "Sophia", "James",
    "Mia",    "Lucas", "Amelia", "Mateo", "Harper", "Ethan",  "Aria",   "Hugo",
    "Chloe",  "Leo",   "Ines",   "Omar",  "Yuki",   "Arjun",  "Sara",   "Felix",
    "Nora",   "Diego", "Hana",   "Ivan",  "Lena",   "Marco",  "Zoe",    "Tariq"};

inline constexpr std::array<std::string_view, 32> kLastNames = {
    "Smith",  "Johnson",  "Martinez", "Brown",  "Garcia",  "Miller",   "Davis",  "Rodriguez",
    "Wilson", "Anderson", "Thomas",   "Moore",  "Jackson", "Martin",   "Lee",    "Silva",
    "Costa",  "Muller",   "Schmidt",  "Rossi",  "Dubois",  "Kowalski", "Tanaka", "Kim",
    "Patel",  "Nguyen",   "Ivanova",  "Larsen", "Novak",   "Okafor",   "Haddad", "Berg"};

inline constexpr std::array<std::string_view, 5> kEmailDomains = {
    "example.com", "example.org", "example.net", "mail.test", "corp.test"};

inline constexpr std::array<std::string_view, 20> kStreetNames = {
    "Oak",      "Maple",   "Cedar",  "Pine",    "Elm",      "Willow", "Birch",
    "Chestnut", "Harbour", "Mill",   "Station", "Church",   "Market", "Park",
    "River",    "Hill",    "Garden", "King",    "Victoria", "Meadow"};

inline constexpr std::array<std::string_view, 5> kStreetSuffixes = {"St", "Ave", "Rd", "Ln",
                                                                    "Blvd"};

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Uniform in [0, n) by multiply-shift on the high 32 bits.
inline std::uint32_t below(std::uint64_t& state, std::uint32_t n) noexcept {
  return static_cast<std::uint32_t>(((splitmix64(state) >> 32) * n) >> 32);
}

inline void append_uint(std::string& out, std::uint64_t v, int min_digits = 1) {
  char buf[24];
  const auto res = std::to_chars(buf, buf + sizeof buf, v);
  const auto len = static_cast<int>(res.ptr - buf);
  if (len < min_digits) out.append(static_cast<std::size_t>(min_digits - len), '0');
  out.append(buf, res.ptr);
}

inline void append_quoted(std::string& out, std::string_view s) {
  out.push_back('"');
  out.append(s);
  out.push_back('"');
}

inline void append_lower(std::string& out, std::string_view s) {
  for (char c : s) out.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
}

}  // namespace user_docs_internal

// "user:<n>".
inline std::string user_doc_id(std::size_t n) {
  std::string id = "user:";
  user_docs_internal::append_uint(id, n);
  return id;
}

// Replaces `out` with document `index` for `seed` (reuses out's capacity).
inline void make_user_doc(std::string& out, std::size_t index, std::uint64_t seed) {
  using namespace user_docs_internal;
  std::uint64_t state = seed ^ (0xD6E8FEB86659FD93ull * (static_cast<std::uint64_t>(index) + 1));
  splitmix64(state);  // decorrelate neighbouring indexes

  const std::string_view first = kFirstNames[below(state, kFirstNames.size())];
  const std::string_view last = kLastNames[below(state, kLastNames.size())];
  const UserCity& city = kUserCities[below(state, kUserCities.size())];

  out.clear();
  out.append("{\"name\":\"");
  out.append(first);
  out.push_back(' ');
  out.append(last);
  out.append("\",\"email\":\"");
  append_lower(out, first);
  out.push_back('.');
  append_lower(out, last);
  append_uint(out, below(state, 100));
  out.push_back('@');
  out.append(kEmailDomains[below(state, kEmailDomains.size())]);
  out.append("\",\"age\":");
  append_uint(out, 18 + below(state, 73));
  out.append(",\"city\":");
  append_quoted(out, city.name);
  out.append(",\"country\":");
  append_quoted(out, kUserCountries[city.country]);

  out.append(",\"tags\":[");
  const std::uint32_t tag_count = below(state, 4);
  std::uint32_t used = 0;  // bit set over kUserTags
  for (std::uint32_t t = 0; t < tag_count; ++t) {
    std::uint32_t k = below(state, kUserTags.size());
    while ((used >> k) & 1u) k = (k + 1) % kUserTags.size();
    used |= 1u << k;
    if (t != 0) out.push_back(',');
    append_quoted(out, kUserTags[k]);
  }
  out.append("],\"active\":");
  out.append(below(state, 10) < 8 ? "true" : "false");

  std::uint32_t cents = 1 + below(state, 99);
  if (cents % 10 == 0) ++cents;
  out.append(",\"score\":");
  append_uint(out, below(state, 100));
  out.push_back('.');
  append_uint(out, cents, 2);

  out.append(",\"address\":{\"street\":\"");
  append_uint(out, 1 + below(state, 999));
  out.push_back(' ');
  out.append(kStreetNames[below(state, kStreetNames.size())]);
  out.push_back(' ');
  out.append(kStreetSuffixes[below(state, kStreetSuffixes.size())]);
  out.append("\",\"city\":");
  append_quoted(out, city.name);
  out.append(",\"zip\":\"");
  append_uint(out, below(state, 100'000), 5);
  out.append("\"}}");
}

inline std::string make_user_doc(std::size_t index, std::uint64_t seed) {
  std::string out;
  out.reserve(256);
  make_user_doc(out, index, seed);
  return out;
}

// Documents 0..n-1 for `seed`; their ids are user_doc_id(0..n-1).
inline std::vector<std::string> make_user_docs(std::size_t n, std::uint64_t seed) {
  std::vector<std::string> docs;
  docs.reserve(n);
  for (std::size_t i = 0; i < n; ++i) docs.push_back(make_user_doc(i, seed));
  return docs;
}

// user_doc_id(0..n-1).
inline std::vector<std::string> make_user_doc_ids(std::size_t n) {
  std::vector<std::string> ids;
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) ids.push_back(user_doc_id(i));
  return ids;
}

}  // namespace kora_bench
