/** Quoting for `eval`: every value single-quoted, so nothing in it is expanded. */

/** POSIX sh: inside '...' nothing is special except the closing quote. */
export function shQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** fish: inside '...' only \\ and \' are escapes. */
export function fishQuote(value: string): string {
  return `'${value.replace(/[\\']/g, (c) => '\\' + c)}'`;
}
