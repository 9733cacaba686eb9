/**
 * What `lamer serve` checks before it reads a request body, each as a
 * function that returns the refusal (an HttpError) or null:
 * - `Host` (DNS rebinding): a server bound to a loopback address answers only
 *   requests addressed to a loopback name, so a web page whose domain was made
 *   to resolve to 127.0.0.1 cannot read replies (403). `--host` with another
 *   address opens the server to names it cannot know, and turns this off.
 * - `Authorization: Bearer KEY` when the server has an API key (401), compared
 *   in constant time.
 * - `Content-Type: application/json` (415): a browser sends text/plain or a
 *   form cross-site without a CORS preflight, JSON only after one, which this
 *   server never grants (it sends no CORS headers).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import { parse as parseContentType } from 'content-type';
import { HttpError } from './reply.js';

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');
loopback.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether `host` (an address or name, IPv6 bare or in brackets) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const family = isIP(h);
  return family !== 0 && loopback.check(h, family === 4 ? 'ipv4' : 'ipv6');
}

/**
 * The `Host` check for a server bound to `bound`: null when the bind address is not loopback (no
 * check). `advice` ends the refusal: what a user who needs another name can do (lamer serve's by default).
 */
export function hostGuard(
  bound: string,
  advice = 'To serve other names, bind another address with --host (and protect it with --api-key).',
): ((req: IncomingMessage) => HttpError | null) | null {
  if (!isLoopback(bound)) return null;
  return (req) => {
    const header = req.headers.host ?? '';
    let name: string;
    try {
      name = new URL(`http://${header}`).hostname;
    } catch {
      name = '';
    }
    if (name !== '' && isLoopback(name)) return null;
    return new HttpError(
      403,
      `Host "${header}" is not allowed: this server is bound to ${bound} (this machine only) and answers ` +
        `requests addressed to localhost, 127.0.0.1 or [::1]. ${advice}`,
      'permission_error',
    );
  };
}

const BEARER = { 'www-authenticate': 'Bearer' };
const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** The API key check, or null when the server has no key. */
export function apiKeyGuard(key: string | undefined): ((req: IncomingMessage) => HttpError | null) | null {
  if (key === undefined) return null;
  const expected = digest(key);
  return (req) => {
    const header = req.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim());
    if (match === null) {
      return new HttpError(
        401,
        'missing API key: this server needs "Authorization: Bearer <key>" with the key given to lamer serve --api-key',
        'authentication_error',
        BEARER,
      );
    }
    if (!timingSafeEqual(digest(match[1]!), expected))
      return new HttpError(401, 'invalid API key', 'authentication_error', BEARER);
    return null;
  };
}

/** The body must be declared JSON in UTF-8 (the only charset JSON allows; none given means UTF-8). */
export function jsonContentType(req: IncomingMessage): HttpError | null {
  const header = req.headers['content-type'];
  const refuse = (why: string) =>
    new HttpError(
      415,
      `${why}; send the body as JSON with "Content-Type: application/json" (curl: -H 'Content-Type: application/json')`,
    );
  if (header === undefined) return refuse('the request has no Content-Type');
  const parsed = parseContentType(header); // lenient: never throws
  if (parsed.type !== 'application/json') return refuse(`Content-Type "${parsed.type}" is not supported`);
  const charset = parsed.parameters.charset?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
    return refuse(`charset "${charset}" is not supported (JSON is UTF-8)`);
  return null;
}
