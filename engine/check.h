// engine/check.h: errors for broken preconditions (wrong shapes, dtypes, devices).
//
// These are programmer errors, so they are not absl::Status: NB_CHECK throws nb360::Error with a
// message naming the op and the offending values. Left uncaught it ends the program with that message
// (like a CHECK); tests catch it to prove the message. absl::Status is used where the world can fail
// (files, flags, configs).
#ifndef NB360_ENGINE_CHECK_H_
#define NB360_ENGINE_CHECK_H_

#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace nb360 {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

template <class T>
void AppendToStream(std::ostream& os, const T& v) { os << v; }
template <class T>
void AppendToStream(std::ostream& os, const std::vector<T>& v) {
  os << "[";
  for (size_t i = 0; i < v.size(); ++i) os << (i ? ", " : "") << v[i];
  os << "]";
}

template <class... Args>
std::string StrCat(const Args&... args) {
  std::ostringstream os;
  (AppendToStream(os, args), ...);
  return os.str();
}

template <class... Args>
[[noreturn]] void ThrowError(const Args&... args) {
  throw Error(StrCat(args...));
}

}  // namespace nb360

// NB_CHECK(cond, message parts...): throws nb360::Error("message parts") unless cond holds.
#define NB_CHECK(cond, ...)                 \
  do {                                      \
    if (!(cond)) ::nb360::ThrowError(__VA_ARGS__); \
  } while (0)

#endif  // NB360_ENGINE_CHECK_H_
