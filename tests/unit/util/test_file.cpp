#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

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

TEST_CASE("read_file refuses a FIFO at once instead of blocking in open") {
  const test::TempDir dir;
  const auto path = dir.file("fifo");
  REQUIRE(::mkfifo(path.c_str(), 0600) == 0);
  // No writer ever opens it: a blocking open would never return and the test would hang.
  CHECK_THROWS_WITH_AS(read_file(path, 100, "test file", FileRule::trusted),
                       doctest::Contains("not a regular file"), IoError);
  CHECK_THROWS_WITH_AS(check_file(path, 100, "test file", FileRule::any),
                       doctest::Contains("not a regular file"), IoError);
  CHECK_THROWS_WITH_AS(read_file("/dev/null", 100, "test file"),
                       doctest::Contains("not a regular file"), IoError);
}

TEST_CASE("read_file keeps the trusted and secret rules on modes") {
  const test::TempDir dir;
  const auto path = dir.file("f");
  write_file_atomic(path, "data", 0600, false);
  for (const FileRule rule : {FileRule::any, FileRule::trusted, FileRule::secret}) {
    CHECK(read_file(path, 100, "test file", rule).bytes == "data");
    CHECK_NOTHROW(check_file(path, 100, "test file", rule));
  }
  // Readable by others: fine for a trust file, not for a secret.
  REQUIRE(::chmod(path.c_str(), 0644) == 0);
  CHECK(read_file(path, 100, "test file", FileRule::trusted).bytes == "data");
  CHECK_THROWS_WITH_AS(read_file(path, 100, "passphrase file", FileRule::secret),
                       doctest::Contains(("permissions 0644 for '" + path +
                                          "' are too open; a passphrase file must be readable by "
                                          "its owner only (chmod go-rwx '" +
                                          path + "')")
                                             .c_str()),
                       IoError);
  // Writable by the group or the world: refused for both.
  const std::string fix = "chmod go-w '" + path + "'";
  for (const mode_t mode : {0620, 0602, 0660, 0666}) {
    REQUIRE(::chmod(path.c_str(), mode) == 0);
    CHECK_THROWS_WITH_AS(read_file(path, 100, "known_hosts file", FileRule::trusted),
                         doctest::Contains(fix.c_str()), IoError);
    CHECK_THROWS_WITH_AS(check_file(path, 100, "known_hosts file", FileRule::trusted),
                         doctest::Contains(fix.c_str()), IoError);
    CHECK_THROWS_AS(read_file(path, 100, "test file", FileRule::secret), IoError);
    CHECK(read_file(path, 100, "test file", FileRule::any).bytes == "data");
  }
  // check_file bounds the size as read_file does.
  REQUIRE(::chmod(path.c_str(), 0600) == 0);
  CHECK_THROWS_WITH_AS(check_file(path, 3, "test file", FileRule::secret),
                       doctest::Contains("larger than 3"), IoError);
}

TEST_CASE("file_rule_violation: owned by the user or root only") {
  const std::string path = "/x/f";
  const uid_t me = ::geteuid();
  const uid_t other = me == 12345 ? 12346 : 12345;
  for (const FileRule rule : {FileRule::trusted, FileRule::secret}) {
    CHECK_FALSE(file_rule_violation(path, 0600, me, rule, "test file"));
    CHECK_FALSE(file_rule_violation(path, 0600, 0, rule, "test file"));
    const auto problem = file_rule_violation(path, 0600, other, rule, "test file");
    REQUIRE(problem);
    CHECK(problem->find("bad ownership of test file '/x/f'") != std::string::npos);
    CHECK(problem->find(fmt::format("user {}", other)) != std::string::npos);
  }
  CHECK_FALSE(file_rule_violation(path, 0666, other, FileRule::any, "test file"));
  CHECK_FALSE(file_rule_violation(path, 0644, me, FileRule::trusted, "test file"));
  CHECK(file_rule_violation(path, 0644, me, FileRule::secret, "test file"));
  CHECK(file_rule_violation(path, 0610, me, FileRule::secret, "test file"));
  CHECK_FALSE(file_rule_violation(path, 0400, me, FileRule::secret, "test file"));
  CHECK(file_rule_violation(path, 0644 | S_IWGRP, me, FileRule::trusted, "test file"));
}

TEST_CASE("read_file reports the owner of the file read") {
  const test::TempDir dir;
  const auto path = dir.file("f");
  write_file_atomic(path, "data", 0600, false);
  CHECK(read_file(path, 100, "test file").owner == ::geteuid());
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
