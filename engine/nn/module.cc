#include "engine/nn/module.h"

#include <algorithm>
#include <map>
#include <set>

#include "engine/autograd.h"

namespace nb360 {
namespace nn {

Tensor Module::Forward(const Tensor&) {
  ThrowError(type_name_, ": Forward(const Tensor&) is not implemented for this module");
}

void Module::CheckNewName(const std::string& name) const {
  NB_CHECK(!name.empty() && name.find('.') == std::string::npos, type_name_,
           ": invalid name \"", name, "\" (must be non-empty and contain no '.')");
  auto taken = [&](const auto& list) {
    return std::any_of(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
  };
  NB_CHECK(!taken(params_) && !taken(buffers_) && !taken(children_), type_name_, ": name \"", name,
           "\" is already registered");
}

Tensor Module::RegisterParameter(const std::string& name, Tensor t, bool requires_grad) {
  CheckNewName(name);
  NB_CHECK(t.defined(), type_name_, ": parameter \"", name, "\" is undefined");
  NB_CHECK(t.is_leaf(), type_name_, ": parameter \"", name, "\" must be a leaf tensor (Detach() it)");
  t.set_requires_grad(requires_grad);
  params_.emplace_back(name, t);
  return t;
}

Tensor Module::RegisterBuffer(const std::string& name, Tensor t) {
  CheckNewName(name);
  NB_CHECK(t.defined(), type_name_, ": buffer \"", name, "\" is undefined");
  buffers_.emplace_back(name, t);
  return t;
}

void Module::AddChild(const std::string& name, std::shared_ptr<Module> module) {
  CheckNewName(name);
  NB_CHECK(module != nullptr, type_name_, ": child \"", name, "\" is null");
  children_.emplace_back(name, std::move(module));
}

namespace {

template <class List>
auto FindEntry(const List& list, const std::string& name) {
  return std::find_if(list.begin(), list.end(), [&](const auto& e) { return e.first == name; });
}

}  // namespace

Tensor Module::Parameter(const std::string& name) const {
  auto it = FindEntry(params_, name);
  NB_CHECK(it != params_.end(), type_name_, ": no parameter \"", name, "\"");
  return it->second;
}

Tensor Module::Buffer(const std::string& name) const {
  auto it = FindEntry(buffers_, name);
  NB_CHECK(it != buffers_.end(), type_name_, ": no buffer \"", name, "\"");
  return it->second;
}

std::shared_ptr<Module> Module::Child(const std::string& name) const {
  auto it = FindEntry(children_, name);
  NB_CHECK(it != children_.end(), type_name_, ": no child module \"", name, "\"");
  return it->second;
}

bool Module::HasParameter(const std::string& name) const {
  return FindEntry(params_, name) != params_.end();
}

bool Module::HasBuffer(const std::string& name) const {
  return FindEntry(buffers_, name) != buffers_.end();
}

void Module::SetParameter(const std::string& name, const Tensor& t) {
  auto it = std::find_if(params_.begin(), params_.end(), [&](const auto& e) { return e.first == name; });
  NB_CHECK(it != params_.end(), type_name_, ": no parameter \"", name, "\"");
  NB_CHECK(t.defined() && t.is_leaf(), type_name_, ": SetParameter(\"", name, "\") needs a defined leaf");
  Tensor v = t;
  v.set_requires_grad(it->second.requires_grad());
  it->second = v;
}

void Module::SetBuffer(const std::string& name, const Tensor& t) {
  auto it = std::find_if(buffers_.begin(), buffers_.end(), [&](const auto& e) { return e.first == name; });
  NB_CHECK(it != buffers_.end(), type_name_, ": no buffer \"", name, "\"");
  NB_CHECK(t.defined(), type_name_, ": SetBuffer(\"", name, "\") needs a defined tensor");
  it->second = t;
}

void Module::CollectParameters(const std::string& prefix, bool recurse, NamedTensors* out,
                               std::vector<const void*>* seen) const {
  for (const auto& [name, t] : params_) {
    const void* id = t.impl();
    if (std::find(seen->begin(), seen->end(), id) != seen->end()) continue;
    seen->push_back(id);
    out->emplace_back(prefix + name, t);
  }
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->CollectParameters(prefix + name + ".", true, out, seen);
}

void Module::CollectBuffers(const std::string& prefix, bool recurse, NamedTensors* out) const {
  for (const auto& [name, t] : buffers_) out->emplace_back(prefix + name, t);
  if (!recurse) return;
  for (const auto& [name, child] : children_) child->CollectBuffers(prefix + name + ".", true, out);
}

void Module::CollectState(const std::string& prefix, NamedTensors* out) const {
  for (const auto& [name, t] : params_) out->emplace_back(prefix + name, t);
  for (const auto& [name, t] : buffers_) out->emplace_back(prefix + name, t);
  for (const auto& [name, child] : children_) child->CollectState(prefix + name + ".", out);
}

void Module::CollectModules(const std::string& prefix,
                            std::vector<std::pair<std::string, Module*>>* out) {
  out->emplace_back(prefix, this);
  for (const auto& [name, child] : children_) {
    child->CollectModules(prefix.empty() ? name : prefix + "." + name, out);
  }
}

NamedTensors Module::NamedParameters(bool recurse) const {
  NamedTensors out;
  std::vector<const void*> seen;
  CollectParameters("", recurse, &out, &seen);
  return out;
}

std::vector<Tensor> Module::Parameters(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : NamedParameters(recurse)) out.push_back(t);
  return out;
}

NamedTensors Module::NamedBuffers(bool recurse) const {
  NamedTensors out;
  CollectBuffers("", recurse, &out);
  return out;
}

std::vector<Tensor> Module::Buffers(bool recurse) const {
  std::vector<Tensor> out;
  for (auto& [name, t] : NamedBuffers(recurse)) out.push_back(t);
  return out;
}

std::vector<std::pair<std::string, Module*>> Module::NamedModules() {
  std::vector<std::pair<std::string, Module*>> out;
  CollectModules("", &out);
  return out;
}

void Module::train(bool on) {
  training_ = on;
  for (auto& [name, child] : children_) child->train(on);
}

NamedTensors Module::StateDict() const {
  NamedTensors out;
  CollectState("", &out);
  for (auto& [name, t] : out) t = t.Detach();
  return out;
}

absl::Status Module::LoadStateDict(const NamedTensors& state, bool strict) {
  NamedTensors own;
  CollectState("", &own);
  std::map<std::string, const Tensor*> given;
  std::vector<std::string> duplicates;
  for (const auto& [name, t] : state) {
    if (!given.emplace(name, &t).second) duplicates.push_back(name);
  }
  std::vector<std::string> problems;
  std::vector<std::string> missing;
  std::set<std::string> own_names;
  std::vector<std::pair<Tensor, Tensor>> copies;  // (destination, source)
  for (const auto& [name, dst] : own) {
    own_names.insert(name);
    auto it = given.find(name);
    if (it == given.end()) {
      missing.push_back(name);
      continue;
    }
    const Tensor& src = *it->second;
    if (!src.defined()) {
      problems.push_back(StrCat("\"", name, "\" is undefined"));
    } else if (src.shape() != dst.shape()) {
      problems.push_back(StrCat("size mismatch for \"", name, "\": checkpoint has ",
                                ShapeString(src.shape()), ", model has ", ShapeString(dst.shape())));
    } else if (src.dtype() != dst.dtype()) {
      problems.push_back(StrCat("dtype mismatch for \"", name, "\": checkpoint has ",
                                DTypeName(src.dtype()), ", model has ", DTypeName(dst.dtype())));
    } else {  // CopyFrom crosses devices (engine/device_ops.h)
      copies.emplace_back(dst, src);
    }
  }
  std::vector<std::string> unexpected;
  for (const auto& [name, t] : state) {
    if (own_names.count(name) == 0) unexpected.push_back(name);
  }
  auto join = [](const std::vector<std::string>& names) {
    std::string s;
    for (size_t i = 0; i < names.size(); ++i) s += (i ? ", \"" : "\"") + names[i] + "\"";
    return s;
  };
  if (!duplicates.empty()) problems.push_back("duplicate key(s): " + join(duplicates));
  if (strict && !missing.empty()) problems.push_back("missing key(s): " + join(missing));
  if (strict && !unexpected.empty()) problems.push_back("unexpected key(s): " + join(unexpected));
  if (!problems.empty()) {
    std::string msg = "Error(s) in loading state dict for " + type_name_ + ": ";
    for (size_t i = 0; i < problems.size(); ++i) msg += (i ? "; " : "") + problems[i];
    return absl::InvalidArgumentError(msg);
  }
  NoGradGuard no_grad;
  for (auto& [dst, src] : copies) {
    if (dst.SameImpl(src) || (dst.storage() == src.storage() && dst.offset() == src.offset() &&
                              dst.strides() == src.strides())) {
      continue;  // loading a model's own state dict
    }
    dst.CopyFrom(src);
  }
  return absl::OkStatus();
}

void Module::ZeroGrad() {
  for (const Tensor& t : Parameters()) t.ZeroGrad();
}

void Module::To(Device device) {
  std::vector<Tensor> all = Parameters();
  for (const Tensor& b : Buffers()) all.push_back(b);
  for (const Tensor& t : all) {
    if (t.device() == device) continue;
    t.ZeroGrad();
    const Tensor moved = t.Detach().To(device).Contiguous();
    TensorImpl* impl = t.impl();
    impl->storage = moved.storage();
    impl->offset = moved.offset();
    impl->strides = moved.strides();
  }
}

int64_t Module::NumParameters(bool trainable_only) const {
  int64_t n = 0;
  for (const Tensor& t : Parameters()) {
    if (!trainable_only || t.requires_grad()) n += t.numel();
  }
  return n;
}

void Module::AppendString(std::string* out, int indent) const {
  *out += type_name_ + "(" + ExtraRepr();
  if (children_.empty()) {
    *out += ")";
    return;
  }
  *out += "\n";
  for (const auto& [name, child] : children_) {
    *out += std::string(indent + 2, ' ') + "(" + name + "): ";
    child->AppendString(out, indent + 2);
    *out += "\n";
  }
  *out += std::string(indent, ' ') + ")";
}

std::string Module::ToString() const {
  std::string out;
  AppendString(&out, 0);
  return out;
}

}  // namespace nn
}  // namespace nb360
