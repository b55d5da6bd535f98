// engine/storage.h: a reference-counted block of device memory shared by tensor views.
#ifndef NB360_ENGINE_STORAGE_H_
#define NB360_ENGINE_STORAGE_H_

#include <cstddef>
#include <memory>

#include "engine/allocator.h"
#include "engine/device.h"

namespace nb360 {

class Storage {
 public:
  Storage(size_t nbytes, Device device)
      : nbytes_(nbytes), device_(device), allocator_(GetAllocator(device)) {
    data_ = allocator_->Allocate(nbytes);
  }
  ~Storage() { allocator_->Free(data_, nbytes_); }
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Allocator* allocator_;
};

}  // namespace nb360

#endif  // NB360_ENGINE_STORAGE_H_
