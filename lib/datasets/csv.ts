/**
 * RFC 4180 CSV writing, and the raw row reader used where danfojs cannot help: FMA's tracks.csv
 * has a three-row header (a two-level column index plus the `track_id` index-name row, the way
 * pandas writes a MultiIndex frame), which danfojs' single-header reader would turn into data rows.
 * Ordinary single-header tables (Kaggle GTZAN's features_*.csv, FMA's genres.csv) go through danfojs.
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
 * Parses CSV text into rows of fields (quoted fields may hold commas, quotes and newlines).
 * Throws naming `file` on an unterminated quote.
 */
export function parseCsv(text: string, file = '<csv>'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let i = 0;
  let inQuotes = false;
  let quoteStart = 0;
  if (text.charCodeAt(0) === 0xfeff) i = 1; // byte-order mark
  for (; i < text.length; i++) {
    const c = text[i];
    if (inQuotes) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else inQuotes = false;
      } else field += c;
    } else if (c === '"') {
      inQuotes = true;
      quoteStart = i;
    } else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (inQuotes) {
    const line = text.slice(0, quoteStart).split('\n').length;
    throw new Error(`${file}: unterminated quoted field starting on line ${line}`);
  }
  if (field !== '' || row.length) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}
