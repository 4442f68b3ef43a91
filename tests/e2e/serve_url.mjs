// The URL a `docrunch serve --http --port 0` child announces on stderr
// ("... at http://127.0.0.1:PORT/mcp"); rejects with its stderr if it exits first.
export function serveUrl(server) {
  return new Promise((resolve, reject) => {
    let err = '';
    server.stderr.on('data', (d) => {
      err += d;
      const m = err.match(/at (http:\/\/\S+\/mcp)/);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`serve exited ${code}: ${err}`)));
  });
}
