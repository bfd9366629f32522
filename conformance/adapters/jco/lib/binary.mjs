// Byte-level helpers shared by the core-module and component parsers: a bounds-checked
// LEB128 reader and the encoders the module rewriter needs.

/** Bytes that are not a well-formed binary: the start fails `validation_failed`, `malformed`. */
export class MalformedError extends Error {
  constructor(message) {
    super(message);
    this.name = 'MalformedError';
  }
}

export class Reader {
  constructor(bytes, pos = 0, end = bytes.length) {
    this.bytes = bytes;
    this.pos = pos;
    this.end = end;
  }

  fail(what) {
    throw new MalformedError(`${what} (at offset 0x${this.pos.toString(16)})`);
  }

  atEnd() {
    return this.pos >= this.end;
  }

  byte() {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.bytes[this.pos++];
  }

  peek() {
    if (this.pos >= this.end) this.fail('unexpected end');
    return this.bytes[this.pos];
  }

  take(n) {
    if (n < 0 || this.pos + n > this.end) this.fail('unexpected end');
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  skip(n) {
    this.take(n);
  }

  /** An unsigned LEB128 of at most `bits` bits, as a Number (bits <= 32) or a BigInt. */
  uleb(bits = 32) {
    let result = 0n;
    let shift = 0n;
    const maxBytes = Math.ceil(bits / 7);
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail('integer representation too long');
      const b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    if (result >= 1n << BigInt(bits)) this.fail('integer too large');
    return bits <= 32 ? Number(result) : result;
  }

  u32() {
    return this.uleb(32);
  }

  /** A signed LEB128 of at most `bits` bits. */
  sleb(bits = 32) {
    let result = 0n;
    let shift = 0n;
    const maxBytes = Math.ceil(bits / 7);
    let b;
    for (let i = 0; ; i++) {
      if (i >= maxBytes) this.fail('integer representation too long');
      b = this.byte();
      result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) break;
    }
    if (b & 0x40) result -= 1n << shift;
    const lim = 1n << BigInt(bits - 1);
    if (result < -lim || result >= lim) this.fail('integer too large');
    return bits <= 32 ? Number(result) : result;
  }

  name() {
    const len = this.u32();
    const raw = this.take(len);
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(raw);
    } catch {
      this.fail('malformed UTF-8 encoding');
    }
    return '';
  }

  /** A vector: its count, then `each()` called that many times. */
  vec(each) {
    const n = this.u32();
    const out = [];
    for (let i = 0; i < n; i++) out.push(each(i));
    return out;
  }
}

export function encodeU32(n) {
  const out = [];
  let v = n >>> 0;
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

export function encodeS32(n) {
  const out = [];
  let v = n | 0;
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function encodeName(s) {
  const raw = new TextEncoder().encode(s);
  return [...encodeU32(raw.length), ...raw];
}

/** Concatenate arrays of bytes / Uint8Arrays into one Uint8Array. */
export function concat(parts) {
  let len = 0;
  for (const p of parts) len += p.length;
  const out = new Uint8Array(len);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

export function section(id, content) {
  return concat([[id], encodeU32(content.length), content]);
}
