// Tests for tasks/fsd50k/csv.h.
#include "tasks/fsd50k/csv.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace nb360::tasks {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(Csv, QuotedFieldsWithCommasAndQuotes) {
  const std::string text =
      "files,labels,ext\n"
      "a/1_0000.wav,\"Guitar,Music\",1\r\n"
      "\"b/2_0001.wav\",Speech,2\n"
      "c.wav,\"say \"\"hi\"\", then,go\",3";
  absl::StatusOr<CsvTable> t = ParseCsv(text, "tr.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_THAT(t->header, ElementsAre("files", "labels", "ext"));
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_THAT(t->rows[0], ElementsAre("a/1_0000.wav", "Guitar,Music", "1"));
  EXPECT_THAT(t->rows[1], ElementsAre("b/2_0001.wav", "Speech", "2"));
  EXPECT_THAT(t->rows[2], ElementsAre("c.wav", "say \"hi\", then,go", "3"));
  EXPECT_THAT(t->row_lines, ElementsAre(2, 3, 4));
  EXPECT_EQ(t->Column("ext"), 2);
  EXPECT_EQ(t->Column("nope"), -1);
}

TEST(Csv, NewlineInsideQuotesBlankLinesAndEmptyFields) {
  absl::StatusOr<CsvTable> t = ParseCsv("a,b\n\n\"x\ny\",\n,\n\n", "m.csv");
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_EQ(t->rows.size(), 2u);
  EXPECT_THAT(t->rows[0], ElementsAre("x\ny", ""));
  EXPECT_THAT(t->rows[1], ElementsAre("", ""));
  EXPECT_THAT(t->row_lines, ElementsAre(3, 5));
}

TEST(Csv, Errors) {
  EXPECT_THAT(ParseCsv("a,b\n1,2,3\n", "m.csv").status().message(),
              HasSubstr("m.csv: line 2: 3 fields, the header has 2"));
  EXPECT_THAT(ParseCsv("a,b\n1,\"2\n", "m.csv").status().message(),
              HasSubstr("m.csv: line 3: a quoted field is not closed"));
  EXPECT_THAT(ParseCsv("a,b\n1,x\"2\"\n", "m.csv").status().message(),
              HasSubstr("line 2: a quote inside an unquoted field"));
  EXPECT_THAT(ParseCsv("a,b\n\"1\"x,2\n", "m.csv").status().message(),
              HasSubstr("line 2: characters after a closing quote"));
  EXPECT_THAT(ParseCsv("", "m.csv").status().message(), HasSubstr("m.csv: no header row"));
}

TEST(Csv, SplitOn) {
  EXPECT_THAT(SplitOn("Guitar,Music", ','), ElementsAre("Guitar", "Music"));
  EXPECT_THAT(SplitOn("", ','), ElementsAre(""));
  EXPECT_THAT(SplitOn("a,", ','), ElementsAre("a", ""));
}

}  // namespace
}  // namespace nb360::tasks
