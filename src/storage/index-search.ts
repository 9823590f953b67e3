// Binary search over a sorted run of keys read through an accessor, shared by the offset and time indexes.

/** The last index whose key is ≤ `target` (keys non-decreasing), or -1 when every key is greater. */
export function floorIndex(count: number, keyAt: (index: number) => number, target: number): number {
  let low = 0;
  let high = count - 1;
  let found = -1;
  while (low <= high) {
    const middle = (low + high) >>> 1;
    if (keyAt(middle) <= target) {
      found = middle;
      low = middle + 1;
    } else {
      high = middle - 1;
    }
  }
  return found;
}
