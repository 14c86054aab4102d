/** Characters that make a spreadsheet read a cell as a formula (OWASP CSV injection). */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One RFC 4180 cell: quoted when it holds `,`, `"`, CR or LF, with `"` doubled. With `guard`, a cell
 * that a spreadsheet would run as a formula gets a leading `'` (the documented neutraliser).
 */
export function csvCell(value: string, guard: boolean): string {
  const v = guard && FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}
