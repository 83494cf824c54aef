/**
 * "did you mean" for mistyped commands, flags and config keys: the closest known name
 * by edit distance, when it is close enough to be a typo rather than a different word.
 */

/** Optimal string alignment distance (Levenshtein plus adjacent transpositions: "tokne"). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1);
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The known name closest to `input`, or undefined when none is plausibly meant. A prefix
 * counts ("tok" → "token"); otherwise at most a third of the word may differ (gh and git
 * use a similar fixed cut-off).
 */
export function closestName(input: string, known: Iterable<string>): string | undefined {
  const lower = input.toLowerCase();
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of known) {
    if (name === input) return name;
    const distance = name.toLowerCase().startsWith(lower) && lower.length >= 2 ? 0.5 : editDistance(lower, name.toLowerCase());
    // A tie goes to the name that starts more like the input ("fsh": fish, not sh).
    if (distance < bestDistance || (distance === bestDistance && best !== undefined && sharedPrefix(lower, name) > sharedPrefix(lower, best)))
      [best, bestDistance] = [name, distance];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(Math.max(input.length, best.length) / 3)) ? best : undefined;
}

function sharedPrefix(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i].toLowerCase()) i++;
  return i;
}

/** ` (did you mean "token"?)`-style suffix, or '' when nothing is close. */
export function didYouMean(input: string, known: Iterable<string>): string {
  const name = closestName(input, known);
  return name === undefined ? '' : `did you mean "${name}"?`;
}
