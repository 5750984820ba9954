// What every route shares: the one error shape (OpenAI's: {"error": {"message", "type", "param"}}),
// and the checks of a request's fields, each naming the field it refuses.
import type { FastifyReply } from 'fastify';

export class HttpError extends Error {
  constructor(readonly status: number, message: string, readonly param: string | null = null, readonly headers: Record<string, string> = {}) {
    super(message);
  }
}

export const errorBody = (status: number, message: string, param: string | null) => ({
  error: { message, type: status >= 500 ? 'server_error' : status === 401 ? 'authentication_error' : status === 429 ? 'rate_limit_error' : 'invalid_request_error', param, code: null },
});

export function sendError(reply: FastifyReply, e: HttpError): FastifyReply {
  for (const [k, v] of Object.entries(e.headers)) reply.header(k, v);
  return reply.code(e.status).send(errorBody(e.status, e.message, e.param));
}

export type Body = Record<string, unknown>;

/** The body as an object (a JSON array, string or nothing is a 400). */
export function objectBody(body: unknown): Body {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'the request body must be a JSON object', null);
  return body as Body;
}

const kind = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v);

export function optionalBool(b: Body, name: string, dflt: boolean): boolean {
  const v = b[name];
  if (v === undefined || v === null) return dflt;
  if (typeof v !== 'boolean') throw new HttpError(400, `'${name}' must be true or false, not ${kind(v)}`, name);
  return v;
}

export function optionalInt(b: Body, name: string, min: number): number | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) throw new HttpError(400, `'${name}' must be an integer of at least ${min}`, name);
  return v;
}

export function optionalString<T extends string>(b: Body, name: string, allowed?: readonly T[]): T | undefined {
  const v = b[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new HttpError(400, `'${name}' must be a string, not ${kind(v)}`, name);
  if (allowed && !allowed.includes(v as T)) throw new HttpError(400, `'${name}' must be one of ${allowed.join(', ')}, not '${v.slice(0, 40)}'`, name);
  return v as T;
}

export function requiredString(b: Body, name: string): string {
  const v = b[name];
  if (typeof v !== 'string') throw new HttpError(400, v === undefined ? `'${name}' is required` : `'${name}' must be a string, not ${kind(v)}`, name);
  return v;
}

/** A string or a non-empty array of strings, as a list; more than `max` inputs is a 413. */
export function textList(b: Body, name: string, max: number): string[] {
  const v = b[name];
  if (v === undefined) throw new HttpError(400, `'${name}' is required`, name);
  const xs = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(xs)) throw new HttpError(400, `'${name}' must be a string or an array of strings, not ${kind(v)}`, name);
  if (!xs.length) throw new HttpError(400, `'${name}' must not be empty`, name);
  limitCount(xs.length, name, max);
  xs.forEach((x, i) => {
    if (typeof x !== 'string') throw new HttpError(400, `'${name}[${i}]' must be a string, not ${kind(x)}`, `${name}[${i}]`);
  });
  return xs as string[];
}

export function limitCount(n: number, name: string, max: number): void {
  if (n > max) throw new HttpError(413, `'${name}' has ${n} inputs, more than this server takes in one request (${max}, --max-client-batch-size)`, name);
}
