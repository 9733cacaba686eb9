/**
 * The fake OpenAI-compatible server of `npm run bench:cluster`, run in a child
 * process so its CPU is not counted as ours. Every chat completion is answered
 * after LATENCY_MS with a short reply that plays MineSweeper (a cell that cycles
 * over the board) and carries a remark (a valid reflection). Prints its port on
 * stdout; on SIGTERM (or an IPC `stats` message) reports its own CPU time and
 * the requests it answered.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { benchReply } from './cluster-reply.js';

const latency = Number(process.env.LATENCY_MS ?? 50);
let answered = 0;
let n = 0;
const cpu0 = process.cpuUsage();

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ object: 'list', data: [{ id: 'bench', object: 'model' }] }));
    return;
  }
  req.resume();
  req.on('end', () => {
    const i = n++;
    const body = JSON.stringify({
      id: `c${i}`,
      object: 'chat.completion',
      choices: [
        {
          index: 0,
          message: {
            role: 'assistant',
            content: benchReply(i),
          },
          finish_reason: 'stop',
        },
      ],
    });
    setTimeout(() => {
      answered++;
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    }, latency);
  });
});
server.keepAliveTimeout = 60_000;
server.maxRequestsPerSocket = 0;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
process.on('message', (m) => {
  if (m === 'stats') {
    const c = process.cpuUsage(cpu0);
    process.send?.({ answered, cpuMs: (c.user + c.system) / 1000 });
  }
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
