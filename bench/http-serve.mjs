// A static file server on 127.0.0.1 for the download benchmarks, run as its own process (the
// benchmark's spawnSync would block a server in its own event loop). Byte ranges with If-Range as
// a web server does them; counts the body bytes it sends per path (GET /__stats). With
// `--cuts a,b,c` the n-th request for a file breaks its connection once the body reaches absolute
// offset cuts[n-1] (a network drop at a chosen point). Prints `PORT <n>` when listening.
//   node bench/http-serve.mjs <root> [--cuts 123,456]
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';

const root = process.argv[2];
const cutsAt = process.argv.indexOf('--cuts');
const cuts = cutsAt > 0 ? process.argv[cutsAt + 1].split(',').map(Number) : [];
const sent = {};
const requests = {};

const server = createServer((req, res) => {
  const path = decodeURIComponent((req.url ?? '/').split('?')[0]);
  if (path === '/__stats') return res.end(JSON.stringify({ sent, requests }));
  const file = join(root, normalize(path));
  let st;
  try {
    st = statSync(file);
    if (!st.isFile()) throw new Error('not a file');
  } catch {
    return res.writeHead(404).end();
  }
  const n = (requests[path] = (requests[path] ?? 0) + 1);
  const etag = `"${st.size.toString(16)}-${Math.floor(st.mtimeMs).toString(16)}"`;
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const ifRange = req.headers['if-range'];
  const start = range && (!ifRange || ifRange === etag) ? Number(range[1]) : 0;
  const headers = { etag, 'accept-ranges': 'bytes', 'content-length': st.size - start };
  if (start > 0) headers['content-range'] = `bytes ${start}-${st.size - 1}/${st.size}`;
  res.writeHead(start > 0 ? 206 : 200, headers);
  const cut = cuts[n - 1];
  const end = cut !== undefined && cut > start ? cut - 1 : st.size - 1;
  const stream = createReadStream(file, { start, end, highWaterMark: 1 << 20 });
  stream.on('data', (chunk) => (sent[path] = (sent[path] ?? 0) + chunk.length));
  if (end < st.size - 1) {
    // Everything up to the cut, then the connection breaks mid-body.
    stream.on('end', () => res.write('', () => res.socket?.destroy()));
    stream.pipe(res, { end: false });
  } else stream.pipe(res);
});
server.listen(0, '127.0.0.1', () => console.log(`PORT ${server.address().port}`));
