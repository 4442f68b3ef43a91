// docrunch: the single binary. Parses the command line, runs one command,
// and maps its outcome to the exit codes of PRODUCT §3.
#include "app/cli.h"

int main(int argc, char** argv) {
  return docrunch::app::RunCli(argc, argv);
}
