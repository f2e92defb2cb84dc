#include "cli/app.hpp"
#include "crypto/locked_memory.hpp"

int main(int argc, char** argv) {
  cryptochat::crypto::limit_locked_memory_pool();
  return cryptochat::cli::run(argc, argv);
}
