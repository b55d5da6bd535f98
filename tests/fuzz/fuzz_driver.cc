// tests/fuzz/fuzz_driver.cc: a standalone stand-in for libFuzzer's main, used by the default (gcc) build.
//
// It links with a target defining LLVMFuzzerTestOneInput and
//   1. replays every corpus file given on the command line (files, or directories of files), then
//   2. runs a seeded, deterministic mutation loop over those seeds (bit flips, byte sets, "interesting"
//      little-endian integers, truncations, insertions, deletions, chunk copies and splices of two
//      seeds), stopping after --iterations inputs or --seconds of wall time, whichever comes first.
// No coverage feedback: this is a smoke fuzzer that runs in every `bazel test`; real fuzzing uses
// libFuzzer via --config=fuzz (tests/fuzz/README.md). When an input crashes (signal, sanitizer report,
// uncaught exception) the input is written to $TEST_UNDECLARED_OUTPUTS_DIR (or the current directory)
// as crash-<seed>-<iteration> and its path printed, so it can be replayed as a positional argument.
//
// Flags (override the environment): --seconds=S (NB360_FUZZ_SECONDS, default 3), --iterations=N
// (NB360_FUZZ_ITERATIONS, default 10000000), --seed=N (NB360_FUZZ_SEED, default 1), --max_len=N
// (NB360_FUZZ_MAX_LEN, default max(4096, 2 * largest seed)). Flags libFuzzer would take (-foo=...) are ignored.
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);
extern "C" __attribute__((weak)) void __sanitizer_set_death_callback(void (*callback)(void));

namespace {

// ------------------------------------------------------------------------------------- crash capture

// The input being run, kept where a signal handler can reach it without allocating.
const uint8_t* g_data = nullptr;
size_t g_size = 0;
char g_crash_path[4096] = {0};

void WriteAll(int fd, const void* p, size_t n) {
  const char* c = static_cast<const char*>(p);
  while (n > 0) {
    ssize_t w = write(fd, c, n);
    if (w <= 0) return;
    c += w;
    n -= static_cast<size_t>(w);
  }
}

// Async-signal-safe: writes the current input to g_crash_path and says so on stderr.
void DumpCurrentInput() {
  static volatile sig_atomic_t dumped = 0;
  if (dumped || g_data == nullptr || g_crash_path[0] == 0) return;
  dumped = 1;
  int fd = open(g_crash_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd >= 0) {
    WriteAll(fd, g_data, g_size);
    close(fd);
  }
  const char msg[] = "\nfuzz_driver: crashing input written to ";
  WriteAll(2, msg, sizeof(msg) - 1);
  WriteAll(2, g_crash_path, strlen(g_crash_path));
  WriteAll(2, "\n", 1);
}

void OnSignal(int sig) {
  DumpCurrentInput();
  signal(sig, SIG_DFL);
  raise(sig);
}

void OnTerminate() {
  DumpCurrentInput();
  std::fprintf(stderr, "fuzz_driver: uncaught exception");
  if (std::exception_ptr e = std::current_exception()) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::fprintf(stderr, ": %s", ex.what());
    } catch (...) {
    }
  }
  std::fprintf(stderr, "\n");
  std::abort();
}

void InstallCrashHandlers() {
  std::set_terminate(OnTerminate);
  if (__sanitizer_set_death_callback != nullptr) {
    __sanitizer_set_death_callback(DumpCurrentInput);  // sanitizers keep their own SEGV handling
  } else {
    for (int sig : {SIGSEGV, SIGBUS, SIGFPE, SIGILL}) signal(sig, OnSignal);
  }
  signal(SIGABRT, OnSignal);
}

void SetCrashPath(uint64_t seed, int64_t iteration) {
  const char* dir = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
  std::snprintf(g_crash_path, sizeof(g_crash_path), "%s/crash-%llu-%lld", dir ? dir : ".",
                static_cast<unsigned long long>(seed), static_cast<long long>(iteration));
}

void RunOne(const std::string& input) {
  g_data = reinterpret_cast<const uint8_t*>(input.data());
  g_size = input.size();
  LLVMFuzzerTestOneInput(g_data, g_size);
  g_data = nullptr;
}

// ------------------------------------------------------------------------------------- options

struct Options {
  double seconds = 3.0;
  int64_t iterations = 10000000;
  uint64_t seed = 1;
  size_t max_len = 0;  // 0: derived from the corpus
  std::vector<std::string> paths;
};

bool ParseNumber(const char* text, double* out) {
  char* end = nullptr;
  double v = std::strtod(text, &end);
  if (end == text || *end != 0 || v < 0) return false;
  *out = v;
  return true;
}

bool SetOption(const std::string& key, const std::string& value, Options* o) {
  double v = 0;
  if (!ParseNumber(value.c_str(), &v)) {
    std::fprintf(stderr, "fuzz_driver: bad value '%s' for %s\n", value.c_str(), key.c_str());
    return false;
  }
  if (key == "seconds") o->seconds = v;
  else if (key == "iterations") o->iterations = static_cast<int64_t>(v);
  else if (key == "seed") o->seed = static_cast<uint64_t>(v);
  else if (key == "max_len") o->max_len = static_cast<size_t>(v);
  return true;
}

bool ParseOptions(int argc, char** argv, Options* o) {
  const std::pair<const char*, const char*> env[] = {{"NB360_FUZZ_SECONDS", "seconds"},
                                                     {"NB360_FUZZ_ITERATIONS", "iterations"},
                                                     {"NB360_FUZZ_SEED", "seed"},
                                                     {"NB360_FUZZ_MAX_LEN", "max_len"}};
  for (const auto& [var, key] : env) {
    const char* v = std::getenv(var);
    if (v != nullptr && *v != 0 && !SetOption(key, v, o)) return false;
  }
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg.rfind("--", 0) == 0) {
      size_t eq = arg.find('=');
      std::string key = arg.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (eq == std::string::npos || (key != "seconds" && key != "iterations" && key != "seed" &&
                                      key != "max_len")) {
        std::fprintf(stderr, "fuzz_driver: unknown flag %s\n", arg.c_str());
        return false;
      }
      if (!SetOption(key, arg.substr(eq + 1), o)) return false;
    } else if (arg.rfind("-", 0) == 0) {
      continue;  // a libFuzzer flag: ignored
    } else {
      o->paths.push_back(arg);
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------- corpus

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool LoadCorpus(const std::vector<std::string>& paths, std::vector<std::string>* corpus,
                std::vector<std::string>* names) {
  for (const std::string& path : paths) {
    struct stat st;
    if (stat(path.c_str(), &st) != 0) {
      std::fprintf(stderr, "fuzz_driver: cannot stat %s\n", path.c_str());
      return false;
    }
    std::vector<std::string> files;
    if (S_ISDIR(st.st_mode)) {
      DIR* dir = opendir(path.c_str());
      if (dir == nullptr) return false;
      while (dirent* e = readdir(dir)) {
        std::string file = path + "/" + e->d_name;
        struct stat fs;
        if (e->d_name[0] != '.' && stat(file.c_str(), &fs) == 0 && S_ISREG(fs.st_mode)) files.push_back(file);
      }
      closedir(dir);
      std::sort(files.begin(), files.end());  // readdir order is filesystem dependent
    } else {
      files.push_back(path);
    }
    for (const std::string& file : files) {
      std::string bytes;
      if (!ReadWholeFile(file, &bytes)) {
        std::fprintf(stderr, "fuzz_driver: cannot read %s\n", file.c_str());
        return false;
      }
      corpus->push_back(std::move(bytes));
      names->push_back(file);
    }
  }
  return true;
}

// ------------------------------------------------------------------------------------- mutations

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Uniform in [0, n); n > 0.
  size_t Below(size_t n) { return static_cast<size_t>(Next() % n); }

 private:
  uint64_t state_;
};

constexpr uint64_t kInteresting[] = {0,          1,          0x7F,        0x80,       0xFF,
                                     0x7FFF,     0x8000,     0xFFFF,      0x7FFFFFFF, 0x80000000,
                                     0xFFFFFFFF, 0x100000000, 0x7FFFFFFFFFFFFFFF, ~0ull, 16, 64, 255, 4096};

void Mutate(std::string* s, const std::vector<std::string>& corpus, size_t max_len, SplitMix64* rng) {
  switch (rng->Below(9)) {
    case 0:  // flip one bit
      if (!s->empty()) (*s)[rng->Below(s->size())] ^= static_cast<char>(1u << rng->Below(8));
      break;
    case 1:  // set one byte
      if (!s->empty()) (*s)[rng->Below(s->size())] = static_cast<char>(rng->Next());
      break;
    case 2: {  // an interesting little-endian integer of 1, 2, 4 or 8 bytes
      size_t width = size_t{1} << rng->Below(4);
      if (s->size() < width) break;
      size_t pos = rng->Below(s->size() - width + 1);
      uint64_t v = kInteresting[rng->Below(sizeof(kInteresting) / sizeof(kInteresting[0]))];
      if (rng->Below(2)) v = v + 1 - 2 * rng->Below(2);  // off by one either way
      for (size_t i = 0; i < width; ++i) (*s)[pos + i] = static_cast<char>(v >> (8 * i));
      break;
    }
    case 3:  // truncate
      if (!s->empty()) s->resize(rng->Below(s->size()));
      break;
    case 4: {  // insert random bytes
      size_t n = 1 + rng->Below(16);
      std::string bytes(n, '\0');
      for (char& c : bytes) c = static_cast<char>(rng->Next());
      s->insert(rng->Below(s->size() + 1), bytes);
      break;
    }
    case 5:  // delete a range
      if (!s->empty()) {
        size_t pos = rng->Below(s->size());
        s->erase(pos, 1 + rng->Below(std::min<size_t>(64, s->size() - pos)));
      }
      break;
    case 6:  // copy a chunk over another place
      if (s->size() >= 2) {
        size_t n = 1 + rng->Below(std::min<size_t>(32, s->size() / 2));
        size_t from = rng->Below(s->size() - n + 1), to = rng->Below(s->size() - n + 1);
        std::string chunk = s->substr(from, n);
        s->replace(to, n, chunk);
      }
      break;
    case 7: {  // splice: our prefix + another seed's suffix
      const std::string& other = corpus[rng->Below(corpus.size())];
      size_t cut = rng->Below(s->size() + 1);
      size_t from = rng->Below(other.size() + 1);
      *s = s->substr(0, cut) + other.substr(from);
      break;
    }
    default:  // repeat a byte run (grows lengths, counts, nesting)
      if (!s->empty()) {
        size_t pos = rng->Below(s->size());
        s->insert(pos, 1 + rng->Below(64), (*s)[pos]);
      }
      break;
  }
  if (s->size() > max_len) s->resize(max_len);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  if (!ParseOptions(argc, argv, &options)) return 2;
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  InstallCrashHandlers();

  std::vector<std::string> corpus, names;
  if (!LoadCorpus(options.paths, &corpus, &names)) return 2;
  size_t largest = 0;
  for (size_t i = 0; i < corpus.size(); ++i) {
    SetCrashPath(options.seed, -1 - static_cast<int64_t>(i));
    RunOne(corpus[i]);
    largest = std::max(largest, corpus[i].size());
  }
  std::fprintf(stderr, "fuzz_driver: replayed %zu corpus file(s)\n", corpus.size());
  if (corpus.empty()) corpus.push_back(std::string());
  size_t max_len = options.max_len ? options.max_len : std::max<size_t>(4096, 2 * largest);

  SplitMix64 rng(options.seed);
  const auto start = std::chrono::steady_clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  int64_t iteration = 0;
  std::string input;
  for (; iteration < options.iterations && elapsed() < options.seconds; ++iteration) {
    // Mostly fresh copies of a seed; sometimes keep stacking mutations on the previous input.
    if (input.empty() || rng.Below(4) != 0) input = corpus[rng.Below(corpus.size())];
    size_t rounds = 1 + rng.Below(4);
    for (size_t r = 0; r < rounds; ++r) Mutate(&input, corpus, max_len, &rng);
    SetCrashPath(options.seed, iteration);
    RunOne(input);
  }
  std::fprintf(stderr, "fuzz_driver: %lld mutated inputs in %.2f s (seed %llu), no crash\n",
               static_cast<long long>(iteration), elapsed(), static_cast<unsigned long long>(options.seed));
  return 0;
}
