// tasks/common/loader.cc: deterministic prefetching batch loader.
#include "tasks/common/loader.h"

#include <chrono>
#include <cstring>
#include <exception>

#include "engine/rng.h"

namespace nb360::tasks {
namespace {

uint64_t SplitMix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

}  // namespace

uint64_t MixSeed(uint64_t a, uint64_t b, uint64_t c) { return SplitMix(SplitMix(SplitMix(a) ^ b) ^ c); }

Loader::Loader(std::shared_ptr<const SampleSet> set, LoaderOptions options)
    : set_(std::move(set)), options_(options) {
  NB_CHECK(set_ != nullptr, "Loader: null sample set");
  NB_CHECK(options_.batch_size > 0, "Loader: batch_size must be positive, got ", options_.batch_size);
  NB_CHECK(options_.num_workers >= 0 && options_.prefetch >= 1, "Loader: bad worker/prefetch counts");
  layout_ = set_->layout();
}

Loader::~Loader() { StopWorkers(); }

int64_t Loader::num_batches() const {
  const int64_t n = set_->size(), b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

std::vector<int64_t> Loader::Order(int64_t epoch) const {
  const int64_t n = set_->size();
  if (!options_.shuffle) {
    std::vector<int64_t> o(n);
    for (int64_t i = 0; i < n; ++i) o[i] = i;
    return o;
  }
  Generator g(MixSeed(options_.seed, 0x6f72646572ull /* "order" */, static_cast<uint64_t>(epoch)));
  return g.Permutation(n);
}

Batch Loader::BuildBatch(int64_t epoch, int64_t b) const {
  // Order() is recomputed by callers outside the worker path only in tests; workers use order_.
  const std::vector<int64_t>& order = order_;
  NB_CHECK(static_cast<int64_t>(order.size()) == set_->size(), "BuildBatch before StartEpoch");
  const int64_t begin = b * options_.batch_size;
  const int64_t end = std::min<int64_t>(begin + options_.batch_size, set_->size());
  const int64_t n = end - begin;
  Batch batch;
  Shape xs = layout_.x, ys = layout_.y;
  xs.insert(xs.begin(), n);
  ys.insert(ys.begin(), n);
  batch.x = Tensor::Empty(xs, DType::kFloat32);
  batch.y = Tensor::Empty(ys, layout_.y_dtype);
  const bool has_aux = !layout_.aux.empty();
  if (has_aux) {
    Shape as = layout_.aux;
    as.insert(as.begin(), n);
    batch.aux = Tensor::Empty(as, DType::kFloat32);
  }
  const int64_t x_size = NumElements(layout_.x);
  const int64_t y_bytes = NumElements(layout_.y) * static_cast<int64_t>(DTypeSize(layout_.y_dtype));
  const int64_t aux_size = has_aux ? NumElements(layout_.aux) : 0;
  batch.index.resize(n);
  batch.group.resize(n);
  batch.extra.resize(n);
  for (int64_t k = 0; k < n; ++k) {
    const int64_t pos = begin + k;
    const int64_t i = order[pos];
    SampleOut out;
    out.x = batch.x.data<float>() + k * x_size;
    out.y = static_cast<char*>(batch.y.raw_data()) + k * y_bytes;
    out.aux = has_aux ? batch.aux.data<float>() + k * aux_size : nullptr;
    out.group = i;
    out.extra = 0;
    if (options_.augment) {
      Generator rng(MixSeed(options_.seed, static_cast<uint64_t>(epoch) + 1, static_cast<uint64_t>(pos)));
      set_->Read(i, &rng, &out);
    } else {
      set_->Read(i, nullptr, &out);
    }
    batch.index[k] = i;
    batch.group[k] = out.group;
    batch.extra[k] = out.extra;
  }
  return batch;
}

void Loader::StopWorkers() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    ++generation_;
  }
  cv_.notify_all();
  for (std::thread& t : workers_) t.join();
  workers_.clear();
  std::lock_guard<std::mutex> lock(mu_);
  ready_.clear();
  stop_ = false;
}

void Loader::StartEpoch(int64_t epoch, int64_t first_batch) {
  StopWorkers();
  NB_CHECK(first_batch >= 0 && first_batch <= num_batches(), "StartEpoch: first_batch ", first_batch,
           " of ", num_batches());
  epoch_ = epoch;
  next_ = first_batch;
  order_ = Order(epoch);
  if (options_.num_workers == 0) return;
  uint64_t gen;
  {
    std::lock_guard<std::mutex> lock(mu_);
    gen = generation_;
  }
  for (int w = 0; w < options_.num_workers; ++w) {
    workers_.emplace_back([this, w, gen, first_batch] { WorkerLoop(w, gen, first_batch); });
  }
}

void Loader::WorkerLoop(int worker, uint64_t generation, int64_t first_batch) {
  const int64_t total = num_batches();
  for (int64_t b = first_batch + worker; b < total; b += options_.num_workers) {
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stop_ || generation_ != generation || b < next_ + options_.prefetch; });
      if (stop_ || generation_ != generation) return;
    }
    Batch batch;
    std::exception_ptr error;
    try {
      batch = BuildBatch(epoch_, b);
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stop_ || generation_ != generation) return;
      if (error) {
        error_ = error;
      } else {
        ready_.emplace(b, std::move(batch));
      }
    }
    if (error) {
      cv_.notify_all();
      return;
    }
    cv_.notify_all();
  }
}

bool Loader::Next(Batch* batch) {
  NB_CHECK(epoch_ >= 0, "Loader::Next before StartEpoch");
  if (next_ >= num_batches()) return false;
  if (options_.num_workers == 0) {
    *batch = BuildBatch(epoch_, next_++);
    return true;
  }
  const auto t0 = std::chrono::steady_clock::now();
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return error_ != nullptr || ready_.count(next_) > 0; });
    if (error_ != nullptr) {
      std::exception_ptr e = error_;
      error_ = nullptr;
      std::rethrow_exception(e);
    }
    auto it = ready_.find(next_);
    *batch = std::move(it->second);
    ready_.erase(it);
    ++next_;
  }
  cv_.notify_all();
  wait_seconds_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return true;
}

}  // namespace nb360::tasks
