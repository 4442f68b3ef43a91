// The floor of bench/rest: a bare Boost.Beast HTTP/1.1 server answering
// every request with a small JSON body, on the same connection model as
// Docrunch's http/ layer (a thread per connection, synchronous reads and
// writes, keep-alive), so the ratio to it is what routing, auth, the
// database and JSON cost on top of Beast itself.
//
//   docrunch_rest_floor PORT   (0: any free port; prints "listening PORT" on stderr)
#include <utility>
// clang-format off
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
// clang-format on
#include <cstdio>
#include <cstdlib>
#include <thread>

namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;

static void Serve(tcp::socket socket) {
  boost::beast::flat_buffer buffer;
  boost::system::error_code ec;
  for (;;) {
    http::request<http::string_body> req;
    http::read(socket, buffer, req, ec);
    if (ec) break;
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = R"({"success":true,"data":{"hello":"world"}})";
    res.prepare_payload();
    http::write(socket, res, ec);
    if (ec || !res.keep_alive()) break;
  }
  socket.shutdown(tcp::socket::shutdown_both, ec);
}

int main(int argc, char** argv) {
  int port = argc > 1 ? std::atoi(argv[1]) : 0;
  net::io_context io;
  tcp::acceptor acceptor(io,
                         {net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)});
  std::fprintf(stderr, "listening %d\n", acceptor.local_endpoint().port());
  for (;;) {
    tcp::socket socket(io);
    acceptor.accept(socket);
    std::thread(Serve, std::move(socket)).detach();
  }
}
