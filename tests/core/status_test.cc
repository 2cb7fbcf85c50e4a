#include "kora/status.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_util.h"

namespace kora {
namespace {

TEST(StatusTest, DefaultIsOkAndPointerSized) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kOk);
  EXPECT_EQ(s.message(), "");
  EXPECT_EQ(s.detail(), nullptr);
  EXPECT_EQ(s.to_string(), "OK");
  EXPECT_EQ(sizeof(Status), sizeof(void*));
}

TEST(StatusTest, ErrorCarriesCodeMessageAndDetail) {
  Status s(ErrorCode::kInvalidJson, "unexpected token",
           ErrorDetail{.position = 7, .batch_index = 2, .path = "a.b"});
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), ErrorCode::kInvalidJson);
  EXPECT_EQ(s.message(), "unexpected token");
  ASSERT_NE(s.detail(), nullptr);
  EXPECT_EQ(s.detail()->position, 7u);
  EXPECT_EQ(s.detail()->batch_index, 2u);
  EXPECT_EQ(s.detail()->path, "a.b");
  EXPECT_EQ(s.to_string(), "InvalidJson: unexpected token (position 7) (batch index 2) (path a.b)");
}

TEST(StatusTest, OkCodeDropsMessage) {
  Status s(ErrorCode::kOk, "ignored");
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.message(), "");
}

TEST(StatusTest, CopyIsDeepAndMoveLeavesOk) {
  Status a(ErrorCode::kWrongType, "wrong");
  Status b = a;
  EXPECT_EQ(b.code(), ErrorCode::kWrongType);
  EXPECT_EQ(b.message(), "wrong");
  EXPECT_NE(a.message().data(), b.message().data());
  Status c = std::move(a);
  EXPECT_EQ(c.code(), ErrorCode::kWrongType);
  b = Status();
  EXPECT_TRUE(b.ok());
  c = c;  // self-assignment keeps the error
  EXPECT_EQ(c.code(), ErrorCode::kWrongType);
}

TEST(StatusTest, EveryCodeHasADistinctName) {
  std::vector<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(ErrorCode::kInternal); ++i) {
    names.push_back(to_string(static_cast<ErrorCode>(i)));
  }
  for (std::size_t i = 0; i < names.size(); ++i) {
    EXPECT_NE(names[i], "Unknown");
    for (std::size_t j = i + 1; j < names.size(); ++j) EXPECT_NE(names[i], names[j]);
  }
  EXPECT_EQ(to_string(static_cast<ErrorCode>(200)), "Unknown");
  EXPECT_EQ(static_cast<int>(ErrorCode::kInternal), 11);  // values are stable
}

TEST(ResultTest, HoldsValueOrError) {
  Result<std::string> good(std::string("v"));
  EXPECT_TRUE(good.ok());
  EXPECT_TRUE(good.has_value());
  EXPECT_TRUE(static_cast<bool>(good));
  EXPECT_EQ(*good, "v");
  EXPECT_EQ(good->size(), 1u);
  EXPECT_TRUE(good.status().ok());
  EXPECT_EQ(good.value_or("x"), "v");

  Result<std::string> bad(Status(ErrorCode::kNotFound, "no"));
  EXPECT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(bad.value_or("fallback"), "fallback");
}

TEST(ResultTest, OkStatusBecomesInternalError) {
  Result<int> r{Status()};
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), ErrorCode::kInternal);
}

TEST(ResultTest, MovesValueOut) {
  Result<std::vector<int>> r(std::vector<int>{1, 2, 3});
  std::vector<int> v = std::move(r).value();
  EXPECT_EQ(v.size(), 3u);
}

Result<int> half(int x) {
  if (x % 2 != 0) return Status(ErrorCode::kInvalidArgument, "odd");
  return x / 2;
}

Result<int> quarter(int x) {
  KORA_ASSIGN_OR_RETURN(int h, half(x));
  KORA_ASSIGN_OR_RETURN(int q, half(h));
  return q;
}

Status check_even(int x) {
  KORA_RETURN_IF_ERROR(half(x));
  KORA_RETURN_IF_ERROR(Status());
  return {};
}

TEST(StatusMacrosTest, PropagateErrorsAndValues) {
  EXPECT_EQ(*quarter(8), 2);
  EXPECT_EQ(quarter(6).status().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(check_even(2).ok());
  EXPECT_EQ(check_even(3).message(), "odd");
}

}  // namespace
}  // namespace kora
