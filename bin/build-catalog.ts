/** `npm run build:catalog`: regenerates lambdas/domain/catalog-data.json (lib/catalog/build.ts). */
import { writeFileSync } from 'node:fs';
import { buildCatalog, loadAirportsJson } from '../lib/catalog/build.ts';

const catalog = buildCatalog(loadAirportsJson());
writeFileSync(new URL('../lambdas/domain/catalog-data.json', import.meta.url), catalog.text);
console.log(
  `${catalog.cities} cities from ${catalog.airports} airports: ${(catalog.text.length / 1024).toFixed(1)} KiB`,
);
