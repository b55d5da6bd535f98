// Smoke tests of the system libraries exposed in //third_party that nothing else uses yet.
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>
#include <google/protobuf/text_format.h>
#include <hdf5.h>
#include <xgboost/c_api.h>
#include <zlib.h>

#include "tests/third_party/smoke.pb.h"

namespace {

TEST(SystemLibs, ProtobufTextFormat) {
  nb360::smoke::RunConfig cfg;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString("task: 'darcy_flow' seed: 7 lrs: [0.1, 0.01]", &cfg));
  EXPECT_EQ(cfg.task(), "darcy_flow");
  EXPECT_EQ(cfg.seed(), 7);
  EXPECT_EQ(cfg.lrs_size(), 2);
  std::string wire;
  ASSERT_TRUE(cfg.SerializeToString(&wire));
  nb360::smoke::RunConfig back;
  ASSERT_TRUE(back.ParseFromString(wire));
  EXPECT_EQ(back.lrs(1), 0.01);
}

TEST(SystemLibs, ZlibCrcAndRoundTrip) {
  const std::string text = "nb360 nb360 nb360 nb360";
  EXPECT_EQ(crc32(0, reinterpret_cast<const Bytef*>("123456789"), 9), 0xCBF43926u);
  uLongf packed_size = compressBound(text.size());
  std::string packed(packed_size, '\0');
  ASSERT_EQ(compress(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                     reinterpret_cast<const Bytef*>(text.data()), text.size()), Z_OK);
  std::string unpacked(text.size(), '\0');
  uLongf unpacked_size = text.size();
  ASSERT_EQ(uncompress(reinterpret_cast<Bytef*>(unpacked.data()), &unpacked_size,
                       reinterpret_cast<const Bytef*>(packed.data()), packed_size), Z_OK);
  EXPECT_EQ(unpacked, text);
}

TEST(SystemLibs, Hdf5WriteRead) {
  const std::string path = std::string(std::getenv("TEST_TMPDIR")) + "/smoke.h5";
  const double data[3][2] = {{1, 2}, {3, 4}, {5, 6}};
  hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(file, 0);
  const hsize_t dims[2] = {3, 2};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t set = H5Dcreate2(file, "A", H5T_IEEE_F64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), 0);
  H5Dclose(set);
  H5Sclose(space);
  H5Fclose(file);
  double back[3][2] = {};
  file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  set = H5Dopen2(file, "A", H5P_DEFAULT);
  ASSERT_GE(H5Dread(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, back), 0);
  H5Dclose(set);
  H5Fclose(file);
  EXPECT_EQ(back[2][1], 6.0);
}

TEST(SystemLibs, XgboostLearnsALine) {
  constexpr int kRows = 64;
  float x[kRows], y[kRows];
  for (int i = 0; i < kRows; ++i) {
    x[i] = static_cast<float>(i) / kRows;
    y[i] = 3 * x[i] + 1;
  }
  DMatrixHandle dm;
  ASSERT_EQ(XGDMatrixCreateFromMat(x, kRows, 1, -1.0f, &dm), 0);
  ASSERT_EQ(XGDMatrixSetFloatInfo(dm, "label", y, kRows), 0);
  BoosterHandle booster;
  ASSERT_EQ(XGBoosterCreate(&dm, 1, &booster), 0);
  XGBoosterSetParam(booster, "objective", "reg:squarederror");
  XGBoosterSetParam(booster, "tree_method", "hist");
  XGBoosterSetParam(booster, "nthread", "1");
  for (int it = 0; it < 50; ++it) ASSERT_EQ(XGBoosterUpdateOneIter(booster, it, dm), 0);
  bst_ulong n = 0;
  const float* pred = nullptr;
  ASSERT_EQ(XGBoosterPredict(booster, dm, 0, 0, 0, &n, &pred), 0);
  ASSERT_EQ(n, static_cast<bst_ulong>(kRows));
  double mse = 0;
  for (int i = 0; i < kRows; ++i) mse += (pred[i] - y[i]) * (pred[i] - y[i]) / kRows;
  EXPECT_LT(mse, 1e-2);
  XGBoosterFree(booster);
  XGDMatrixFree(dm);
}

}  // namespace
