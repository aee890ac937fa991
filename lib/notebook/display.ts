/** Rich text in notebook outputs (tslab), falling back to plain console output elsewhere. */
import { displayBundle } from '../plots/show';

/** Displays markdown (tables, headings) as a rendered output cell; prints it outside a kernel. */
export function markdown(md: string): void {
  displayBundle({ 'text/markdown': md, 'text/plain': md });
}
