/** A binary min-heap. */
export class MinHeap<T> {
  private readonly items: T[] = [];
  constructor(private readonly cmp: (a: T, b: T) => number) {}

  get size(): number {
    return this.items.length;
  }

  /** The least item, left in place. */
  peek(): T | undefined {
    return this.items[0];
  }

  /** The least item but the top (the lesser of the top's children). */
  second(): T | undefined {
    const a = this.items;
    if (a.length < 3) return a[1];
    return this.cmp(a[1]!, a[2]!) <= 0 ? a[1] : a[2];
  }

  push(x: T): void {
    const a = this.items;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.cmp(x, a[p]!) >= 0) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }

  pop(): T | undefined {
    const a = this.items;
    if (a.length === 0) return undefined;
    const top = a[0];
    const last = a.pop()!;
    if (a.length > 0) {
      a[0] = last;
      this.down(0);
    }
    return top;
  }

  /** The top item has grown (its key moved on): put it in its place. */
  updateTop(): void {
    if (this.items.length > 1) this.down(0);
  }

  private down(i: number): void {
    const a = this.items;
    const x = a[i]!;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const m = r < n && this.cmp(a[r]!, a[l]!) < 0 ? r : l;
      if (this.cmp(a[m]!, x) >= 0) break;
      a[i] = a[m]!;
      i = m;
    }
    a[i] = x;
  }
}
