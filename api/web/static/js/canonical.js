// canonical.js: RFC 8785 (JCS) canonical JSON, byte for byte as the server writes it.
//
// canonicalize(value) is the whole of RFC 8785: keys sorted by UTF-16 code units (JavaScript's
// own string order), no white space, numbers in ECMAScript's shortest form (JSON.stringify's,
// which RFC 8785 §3.2.2.3 adopts), strings with only the escapes JSON.stringify makes
// (\" \\ \b \f \n \r \t and \u00XX for other control characters), everything else as UTF-8.
// statementBytes(statement) is what a member signs (docs/formats.md §2): the same, but, as the
// server does, it refuses any number that is not an integer within ±(2^53 − 1) and any string
// holding a lone surrogate. Both throw CanonicalError with a plain message.

export class CanonicalError extends Error {}

const encoder = new TextEncoder();

function write(value, strict, path) {
  if (value === null) return "null";
  switch (typeof value) {
    case "boolean":
      return value ? "true" : "false";
    case "number":
      if (!Number.isFinite(value)) throw new CanonicalError(`${path}: ${value} is not a JSON number`);
      if (strict && !Number.isSafeInteger(value)) {
        throw new CanonicalError(`${path}: ${value} is not an integer within ±(2^53 − 1)`);
      }
      return JSON.stringify(value); // -0 is written 0
    case "string":
      return text(value, path);
    case "object":
      if (Array.isArray(value)) {
        return `[${value.map((item, i) => write(item, strict, `${path}[${i}]`)).join(",")}]`;
      }
      if (Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
        throw new CanonicalError(`${path}: only plain objects can be written as JSON`);
      }
      return `{${Object.keys(value)
        .sort()
        .map((key) => `${text(key, path)}:${write(value[key], strict, `${path}.${key}`)}`)
        .join(",")}}`;
    default:
      throw new CanonicalError(`${path}: a ${typeof value} cannot be written as JSON`);
  }
}

function text(value, path) {
  if (!value.isWellFormed()) {
    throw new CanonicalError(`${path}: a string holds a lone surrogate, not Unicode text`);
  }
  return JSON.stringify(value);
}

/** The RFC 8785 canonical text of a JSON value. */
export function canonicalize(value) {
  return write(value, false, "value");
}

/** The RFC 8785 canonical UTF-8 bytes of a JSON value. */
export function canonicalBytes(value) {
  return encoder.encode(canonicalize(value));
}

/** A statement's canonical bytes, refusing what the server refuses (non-integers, lone surrogates). */
export function statementBytes(statement) {
  return encoder.encode(write(statement, true, "statement"));
}
