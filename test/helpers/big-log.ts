/** A json-file log of about `mb` MiB as dockerd writes it, with the odd lines evidence holds. */
export function bigLog(mb: number, startSeconds: number, odd: ((time: string) => string)[]): string {
  const texts = ['GET /index.html 200, 512 bytes', 'caf\u00e9 \u2603 "quoted" \\ back', '<script>&amp;</script>', 'tab\there', '\ud83d\ude00 emoji', 'x'.repeat(150)];
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; size < mb * 1048576; i++) {
    const s = startSeconds + Math.floor(i / 1000);
    const frac = String((i % 1000) * 1000003).padStart(9, '0').replace(/0+$/, '');
    const time = new Date(s * 1000).toISOString().slice(0, 19) + (frac ? '.' + frac : '') + 'Z';
    let line = JSON.stringify({ log: `${texts[i % texts.length]} #${i}\n`, stream: i % 7 === 0 ? 'stderr' : 'stdout', time });
    if (i % 2 === 0) line = line.replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
    const o = i % 20011 === 5 ? odd[Math.floor(i / 20011)] : undefined;
    if (o) line = o(time);
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join('\n') + '\n';
}
