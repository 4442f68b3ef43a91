// docrunch: the single binary. Parses the command line, runs one command,
// and maps its outcome to the exit codes of PRODUCT §3.
#include "app/cli.h"
#include "llm/http_call.h"

int main(int argc, char** argv) {
  // Before any libcurl user: the LLM calls' headers hold keys (http_call.h).
  docrunch::llm::InitHttpClient();
  return docrunch::app::RunCli(argc, argv);
}
