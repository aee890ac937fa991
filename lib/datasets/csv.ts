/**
 * RFC 4180 CSV: writing for the generated FMA metadata, and a row-streaming reader for FMA's big
 * tracks.csv (ordinary tables are read with danfojs, frames.ts).
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

/**
 * Calls `onRow(fields, index)` for each row of RFC 4180 CSV text (quoted fields may hold commas,
 * quotes and newlines). Streaming over rows keeps big files (FMA's tracks.csv: 106 574 rows of 53
 * columns with long free-text fields) from turning into millions of kept strings: the caller
 * keeps only the columns it needs. Throws naming `file` on an unterminated quote.
 */
export function forEachCsvRow(text: string, file: string, onRow: (fields: string[], index: number) => void): number {
  let row: string[] = [];
  let field = '';
  let n = 0;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // byte-order mark
  const len = text.length;
  while (i < len) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */ && field === '') {
      // Quoted field: copy slices between doubled quotes.
      let j = i + 1;
      let buf = '';
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Error(`${file}: unterminated quoted field in row ${n + 1}`);
        buf += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          buf += '"';
          j = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      field = buf;
      continue;
    }
    if (c === 44 /* , */) {
      row.push(field);
      field = '';
      i++;
    } else if (c === 10 || c === 13) {
      row.push(field);
      onRow(row, n++);
      row = [];
      field = '';
      i += c === 13 && text.charCodeAt(i + 1) === 10 ? 2 : 1;
    } else {
      // Plain run up to the next delimiter.
      let j = i;
      while (j < len) {
        const d = text.charCodeAt(j);
        if (d === 44 || d === 10 || d === 13) break;
        j++;
      }
      field += text.slice(i, j);
      i = j;
    }
  }
  if (field !== '' || row.length) {
    row.push(field);
    onRow(row, n++);
  }
  return n;
}
