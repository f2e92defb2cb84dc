#include "cli/app.hpp"

int main(int argc, char** argv) {
  return cryptochat::cli::run(argc, argv);
}
