#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <string>
#include <thread>
#include <vector>

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

TEST_CASE("write_all writes everything through a pipe smaller than the data") {
  int fds[2] = {-1, -1};
  REQUIRE(::pipe(fds) == 0);
  std::string data(1 << 20, '\0');  // 1 MiB: many times a pipe's buffer, so writes come up short
  for (std::size_t i = 0; i < data.size(); ++i) {
    data[i] = static_cast<char>(i * 7 % 251);
  }
  std::string got;
  std::thread reader([&] {
    char buf[4096];
    ssize_t n = 0;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) {
      got.append(buf, static_cast<std::size_t>(n));
    }
  });
  write_all(fds[1], std::string_view(data).substr(0, 1000), "the pipe");
  const std::vector<std::uint8_t> rest(data.begin() + 1000, data.end());
  write_all(fds[1], rest, "the pipe");
  ::close(fds[1]);
  reader.join();
  ::close(fds[0]);
  CHECK(got == data);
}

TEST_CASE("write_all names what it could not write to") {
  const int fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(fd >= 0);
  CHECK_THROWS_WITH_AS(write_all(fd, "x", "the thing"),
                       doctest::Contains("cannot write to the thing: "), IoError);
  ::close(fd);
  CHECK_NOTHROW(write_all(fd, "", "nothing"));  // nothing to write: no write() at all
}
