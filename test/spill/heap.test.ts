import test from 'ava';
import fc from 'fast-check';
import { MinHeap } from '../../src/spill/heap.ts';

test('pops in order, peek and second are the least two, and a grown top goes to its place (property)', (t) => {
  fc.assert(fc.property(fc.array(fc.integer({ min: -50, max: 50 })), fc.array(fc.nat(30)), (xs, grows) => {
    const items = xs.map((v, i) => ({ v, i }));
    const h = new MinHeap<{ v: number; i: number }>((a, b) => a.v - b.v || a.i - b.i);
    for (const x of items) h.push(x);
    const model = [...items];
    const sorted = (): { v: number; i: number }[] => [...model].sort((a, b) => a.v - b.v || a.i - b.i);
    for (const g of grows) {
      if (!h.size) break;
      const want = sorted();
      if (h.peek() !== want[0] || h.second() !== want[1]) return false;
      h.peek()!.v += g;
      h.updateTop();
    }
    const want = sorted();
    const got: { v: number; i: number }[] = [];
    while (h.size) got.push(h.pop()!);
    return h.pop() === undefined && got.length === want.length && got.every((x, i) => x === want[i]);
  }), { numRuns: 300 });
  t.pass();
});
