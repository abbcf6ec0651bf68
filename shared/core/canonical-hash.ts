/**
 * Canonical JSON and SHA-256, for cache keys and idempotency keys.
 *
 * Two requests that mean the same thing must hash the same, whatever the order their keys were written in, and any
 * change of meaning must change the hash. `JSON.stringify` keeps insertion order, so it cannot be used directly.
 */
import { createHash } from 'node:crypto';

/**
 * Serializes a JSON-like value with object keys sorted (by UTF-16 code units, like RFC 8785 JCS), object properties
 * whose value is `undefined` dropped, and arrays kept in order. Strings and numbers are written as `JSON.stringify`
 * writes them (which is also what JCS prescribes), and objects with a `toJSON` method (such as `Date`) are serialized
 * through it.
 *
 * Throws instead of silently losing data where `JSON.stringify` would: a hash that ignores part of its input makes
 * different requests collide.
 *
 * @throws TypeError on functions, symbols, bigints, non-finite numbers, `Map`/`Set`/`WeakMap`/`WeakSet`, a top-level
 * `undefined`, and cycles. `undefined` inside an array is written as `null`, as `JSON.stringify` does, so positions
 * keep their meaning.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined) {
    throw new TypeError('canonicalJson: cannot serialize undefined');
  }
  const parts: string[] = [];
  write(value, '$', new Set<object>(), parts);
  return parts.join('');
}

/** Hex-encoded SHA-256 of the UTF-8 bytes of `text`. */
export function sha256Hex(text: string): string {
  if (typeof text !== 'string') {
    throw new TypeError(`sha256Hex: text must be a string, got ${typeof text}`);
  }
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/**
 * Hex-encoded SHA-256 of a sequence of fields, each prefixed with its length (and `null` marked as absent), so no
 * two different sequences share an encoding. Cheaper than hashing `canonicalJson` of the same fields for large
 * strings: nothing is concatenated or escaped first.
 */
export function sha256OfFields(fields: ReadonlyArray<string | null>): string {
  const hash = createHash('sha256');
  for (const field of fields) {
    if (field === null) {
      hash.update('-;');
    } else {
      hash.update(`${field.length}:`);
      hash.update(field, 'utf8');
      hash.update(';');
    }
  }
  return hash.digest('hex');
}

function write(value: unknown, path: string, ancestors: Set<object>, out: string[]): void {
  switch (typeof value) {
    case 'string':
      out.push(JSON.stringify(value));
      return;
    case 'boolean':
      out.push(value ? 'true' : 'false');
      return;
    case 'number':
      if (!Number.isFinite(value)) {
        throw new TypeError(`canonicalJson: non-finite number ${String(value)} at ${path}`);
      }
      out.push(JSON.stringify(value)); // -0 is written as 0, like JSON
      return;
    case 'undefined':
      out.push('null'); // only reachable inside arrays; object properties are dropped before this
      return;
    case 'bigint':
    case 'symbol':
    case 'function':
      throw new TypeError(`canonicalJson: cannot serialize a ${typeof value} at ${path}`);
    default:
      break;
  }
  if (value === null) {
    out.push('null');
    return;
  }
  const object = value as object;
  if (ancestors.has(object)) {
    throw new TypeError(`canonicalJson: cycle at ${path}`);
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    const replaced: unknown = toJSON.call(object, '');
    ancestors.add(object);
    write(replaced === undefined ? null : replaced, path, ancestors, out);
    ancestors.delete(object);
    return;
  }
  if (object instanceof Map || object instanceof Set || object instanceof WeakMap || object instanceof WeakSet) {
    throw new TypeError(`canonicalJson: cannot serialize a ${object.constructor.name} at ${path}; convert it to an object or array`);
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    out.push('[');
    for (let i = 0; i < object.length; i++) {
      if (i > 0) out.push(',');
      write(object[i], `${path}[${i}]`, ancestors, out);
    }
    out.push(']');
  } else {
    const record = object as Record<string, unknown>;
    const keys = Object.keys(record).sort();
    out.push('{');
    let first = true;
    for (const key of keys) {
      const child = record[key];
      if (child === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(child, `${path}.${key}`, ancestors, out);
    }
    out.push('}');
  }
  ancestors.delete(object);
}
