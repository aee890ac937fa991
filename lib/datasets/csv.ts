/**
 * RFC 4180 CSV writing for the generated FMA metadata (reading goes through danfojs, frames.ts).
 */
import * as fs from 'fs';

const needsQuote = /[",\r\n]/;

function quote(field: string): string {
  return needsQuote.test(field) ? `"${field.replace(/"/g, '""')}"` : field;
}

/** Writes rows of fields as CSV (quoting only where needed, like pandas' `to_csv`). */
export function writeCsv(file: string, rows: string[][]): void {
  fs.writeFileSync(file, rows.map((r) => r.map(quote).join(',')).join('\n') + '\n');
}
