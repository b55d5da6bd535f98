// Tensor layout: factories, views sharing storage, contiguity, conversions and error messages.
#include "engine/tensor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ops/elementwise.h"

namespace nb360 {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

Tensor Iota(const Shape& shape) {
  return Tensor::Arange(NumElements(shape), DType::kFloat32).Reshape(shape);
}

TEST(Tensor, FactoriesAndAccessors) {
  Tensor z = Tensor::Zeros({2, 3});
  EXPECT_EQ(z.dtype(), DType::kFloat32);
  EXPECT_EQ(z.numel(), 6);
  EXPECT_THAT(z.strides(), ElementsAre(3, 1));
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_THAT(Tensor::Full({2}, 2.5, DType::kFloat64).ToVector<double>(), ElementsAre(2.5, 2.5));
  EXPECT_EQ(Tensor::Scalar(3.0).dim(), 0);
  EXPECT_EQ(Tensor::Scalar(3.0).item(), 3.0);
  for (DType dt : {DType::kFloat32, DType::kFloat64, DType::kInt64, DType::kInt32, DType::kUInt8, DType::kBool}) {
    Tensor t = Tensor::Ones({3}, dt);
    EXPECT_EQ(t.dtype(), dt);
    EXPECT_EQ(t.Select(0, 1).item(), 1.0);
  }
}

TEST(Tensor, TransposeIsAViewAndContiguousCopies) {
  Tensor x = Iota({2, 3});
  Tensor t = x.Transpose(0, 1);
  EXPECT_EQ(t.storage(), x.storage());
  EXPECT_FALSE(t.is_contiguous());
  EXPECT_THAT(t.shape(), ElementsAre(3, 2));
  EXPECT_THAT(t.ToVector<float>(), ElementsAre(0, 3, 1, 4, 2, 5));
  Tensor c = t.Contiguous();
  EXPECT_NE(c.storage(), x.storage());
  EXPECT_TRUE(c.is_contiguous());
  EXPECT_TRUE(x.Contiguous().SameImpl(x));
}

TEST(Tensor, NarrowSelectExpandSqueeze) {
  Tensor x = Iota({3, 4});
  EXPECT_THAT(x.Narrow(1, 1, 2).ToVector<float>(), ElementsAre(1, 2, 5, 6, 9, 10));
  EXPECT_THAT(x.Select(0, -1).ToVector<float>(), ElementsAre(8, 9, 10, 11));
  Tensor col = x.Narrow(1, 0, 1);  // (3, 1)
  Tensor e = col.Expand({2, 3, 4});
  EXPECT_EQ(e.strides()[0], 0);
  EXPECT_EQ(e.strides()[2], 0);
  EXPECT_EQ(e.ToVector<float>()[5], 4);
  EXPECT_THAT(col.Squeeze(1).shape(), ElementsAre(3));
  EXPECT_THAT(col.Unsqueeze(0).shape(), ElementsAre(1, 3, 1));
  // Writes through a view land in the base.
  x.Narrow(0, 1, 1).Fill(-1);
  EXPECT_EQ(x.ToVector<float>()[4], -1);
  EXPECT_EQ(x.ToVector<float>()[8], 8);
}

TEST(Tensor, ReshapeInfersAndCopiesWhenNeeded) {
  Tensor x = Iota({2, 3, 4});
  EXPECT_THAT(x.Reshape({4, -1}).shape(), ElementsAre(4, 6));
  EXPECT_EQ(x.Reshape({4, -1}).storage(), x.storage());
  Tensor p = x.Permute({2, 0, 1});
  Tensor r = p.Reshape({4, 6});  // not viewable: copies
  EXPECT_NE(r.storage(), x.storage());
  EXPECT_THAT(r.Select(0, 1).ToVector<float>(), ElementsAre(1, 5, 9, 13, 17, 21));
  EXPECT_THAT(x.Flatten(1).shape(), ElementsAre(2, 12));
}

TEST(Tensor, DtypeConversion) {
  Tensor x = Tensor::FromVector<float>({1.5f, -2.7f, 3.0f}, {3});
  EXPECT_THAT(x.To(DType::kInt64).ToVector<int64_t>(), ElementsAre(1, -2, 3));
  EXPECT_THAT(x.To(DType::kFloat64).ToVector<double>()[0], 1.5);
  EXPECT_THAT(x.To(DType::kBool).To(DType::kUInt8).ToVector<uint8_t>(), ElementsAre(1, 1, 1));
}

TEST(Tensor, ErrorsNameTheOpAndShapes) {
  Tensor x = Iota({2, 3});
  try {
    x.Reshape({4, 2});
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("Reshape"));
    EXPECT_THAT(e.what(), HasSubstr("[2, 3]"));
    EXPECT_THAT(e.what(), HasSubstr("[4, 2]"));
  }
  try {
    Add(x, Iota({4}));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("add"));
    EXPECT_THAT(e.what(), HasSubstr("[2, 3]"));
    EXPECT_THAT(e.what(), HasSubstr("[4]"));
  }
  EXPECT_THROW(x.data<double>(), Error);
  EXPECT_THROW(x.Narrow(1, 2, 2), Error);
  EXPECT_THROW(x.Expand({3, 3}), Error);
  EXPECT_THROW(x.To(Device::CUDA()), Error);
  try {
    Exp(Tensor::Ones({2}, DType::kInt64));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("int64"));
  }
}

TEST(Tensor, ToStringShowsDtypeShapeAndValues) {
  EXPECT_EQ(Iota({2, 2}).ToString(), "float32[2, 2] {0, 1, 2, 3}");
}

}  // namespace
}  // namespace nb360
