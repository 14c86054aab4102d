import fc from 'fast-check';

const SPECIAL = fc.constantFrom(',', '\n', '\r', '"', '\\', '\t', '/', '\u2028', '\ud800', '\udfff', '😀', 'é', '\u0000', '\u001f', '\u007f', '<', '&', ' ', '…',
  '%', '|', '\\x4f', '\\xZ9', '\\x');
const text = fc.string({ unit: fc.oneof(SPECIAL, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 })), maxLength: 120 });
const time = fc.tuple(fc.integer({ min: -3_000_000_000, max: 32_000_000_000 }), fc.integer({ min: 0, max: 999_999_999 }), fc.integer({ min: 0, max: 9 }))
  .map(([s, ns, digits]) => {
    const iso = new Date(s * 1000).toISOString().slice(0, 19);
    const frac = String(ns).padStart(9, '0').slice(0, digits).replace(/0+$/, '');
    return `${iso}${frac ? '.' + frac : ''}Z`;
  });
const goEscape = (json: string): string => json.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026').replace(/\u2028/g, '\\u2028');

/** A json-file line as dockerd writes it, sometimes damaged the ways evidence is. */
const DAMAGE = fc.tuple(fc.constantFrom('byte', 'ctl', 'quote', 'badesc', 'cut', 'time0', 'offset', 'sec60', 'badday', 'invalid-utf8'), fc.nat());
export const line = fc.record({ text, time, stderr: fc.boolean(), go: fc.boolean(), split: fc.integer({ min: 0, max: 19 }),
  damage: fc.oneof({ weight: 5, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: DAMAGE }) })
  .map((l) => {
    // now and then a line Docker split (no newline at the end of its text)
    const complete = l.split > 0;
    let json = JSON.stringify({ log: l.text + (complete ? '\n' : ''), stream: l.stderr ? 'stderr' : 'stdout', time: l.time });
    if (l.go) json = goEscape(json);
    let b: Buffer = Buffer.from(json);
    if (l.damage) {
      const [kind, at] = l.damage;
      const i = 8 + (at % Math.max(1, b.length - 60));
      const ins = (x: Buffer): Buffer => Buffer.concat([b.subarray(0, i), x, b.subarray(i)]);
      switch (kind) {
        case 'byte': b = Buffer.from(b); b[at % b.length] = at & 0xff; break;
        case 'ctl': b = ins(Buffer.from([at % 32])); break;
        case 'quote': b = ins(Buffer.from('"')); break;
        case 'badesc': b = ins(Buffer.from('\\x')); break;
        case 'invalid-utf8': b = ins(Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff])); break;
        case 'cut': b = b.subarray(0, at % b.length); break;
        case 'time0': b = Buffer.from(json.replace(l.time, '0001-01-01T00:00:00Z')); break;
        case 'offset': b = Buffer.from(json.replace(/Z"}$/, '+01:00"}')); break;
        case 'sec60': b = Buffer.from(json.replace(/:\d\d(\.\d+)?Z"}$/, ':60$1Z"}')); break;
        case 'badday': b = Buffer.from(json.replace(/"time":"(\d{4})-\d\d-\d\d/, '"time":"$1-02-30')); break;
      }
    }
    return b;
  });
