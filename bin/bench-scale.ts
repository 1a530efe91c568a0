/** `npm run bench:scale`: the hot paths' cost per event and per poll, and what one account sustains. */
import { formatScaleReport, measureScale } from '../lib/bench/scale.ts';

const report = await measureScale({ log: (line) => console.error(line) });
console.log(formatScaleReport(report));
