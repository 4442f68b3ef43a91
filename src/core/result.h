// Result<T>: a value or an Error (g++ 12 has no std::expected in C++20).
//
//   Result<int> Parse(std::string_view s);
//   auto r = Parse("42");
//   if (!r) return r.error();      // propagate
//   int v = *r;
//
// Result<void> carries only success or an Error. Accessing value() of a
// failed Result is a programmer bug and aborts.
#pragma once

#include <cstdlib>
#include <optional>
#include <utility>
#include <variant>

#include "core/error.h"

namespace docrunch {

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return Checked(), std::get<0>(state_); }
  const T& value() const& { return Checked(), std::get<0>(state_); }
  T&& value() && { return Checked(), std::get<0>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { return std::get<1>(state_); }

 private:
  void Checked() const {
    if (!ok()) std::abort();
  }
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)) {}

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const { return *error_; }

 private:
  std::optional<Error> error_;
};

inline Result<void> Ok() {
  return {};
}

inline Error MakeError(ErrorCode code, std::string message) {
  return Error{code, std::move(message)};
}

}  // namespace docrunch

// Propagate a failed Result from the enclosing function.
#define DOCRUNCH_TRY(expr)                                          \
  do {                                                              \
    auto docrunch_try_result_ = (expr);                             \
    if (!docrunch_try_result_) return docrunch_try_result_.error(); \
  } while (0)
