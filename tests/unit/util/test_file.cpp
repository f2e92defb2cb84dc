#include <doctest/doctest.h>
#include <sys/stat.h>

#include "test_support.hpp"
#include "util/error.hpp"
#include "util/file.hpp"

using namespace cryptochat;

TEST_CASE("write_file_atomic writes with the asked mode and never replaces without leave") {
  const test::TempDir dir;
  const auto path = dir.file("key");
  write_file_atomic(path, "first", 0600, false);
  const auto read = read_file(path, 100, "test file");
  CHECK(read.bytes == "first");
  CHECK(read.mode == 0600);

  CHECK_THROWS_AS(write_file_atomic(path, "second", 0600, false), IoError);
  CHECK(read_file(path, 100, "test file").bytes == "first");

  write_file_atomic(path, "third", 0644, true);
  const auto replaced = read_file(path, 100, "test file");
  CHECK(replaced.bytes == "third");
  CHECK(replaced.mode == 0644);
}

TEST_CASE("read_file refuses files over the bound, folders and missing files") {
  const test::TempDir dir;
  const auto path = dir.file("big");
  write_file_atomic(path, std::string(101, 'x'), 0600, false);
  CHECK_THROWS_WITH_AS(read_file(path, 100, "test file"), doctest::Contains("larger than 100"),
                       IoError);
  CHECK(read_file(path, 101, "test file").bytes.size() == 101);
  CHECK_THROWS_WITH_AS(read_file(dir.path(), 100, "test file"),
                       doctest::Contains("not a regular file"), IoError);
  CHECK_THROWS_WITH_AS(read_file(dir.file("missing"), 100, "test file"),
                       doctest::Contains("No such file"), IoError);
}

TEST_CASE("make_private_dirs creates missing folders 0700") {
  const test::TempDir dir;
  const auto deep = dir.file("a/b/c");
  make_private_dirs(deep);
  struct stat st {};
  REQUIRE(::stat(deep.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
  REQUIRE(::stat(dir.file("a").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);
}

TEST_CASE("parent_dir") {
  CHECK(parent_dir("/a/b/c") == "/a/b");
  CHECK(parent_dir("c") == ".");
  CHECK(parent_dir("/c") == "/");
}
