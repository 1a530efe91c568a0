// zod's locales, English only (the default zod registers itself).
export { default as en } from '../../../node_modules/zod/v4/locales/en.js';
