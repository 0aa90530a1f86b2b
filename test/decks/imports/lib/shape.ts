// A local module of the imports deck, in TypeScript with types that must be stripped.
export interface Shape { nx: number; ny: number }
export const defaultShape: Shape = { nx: 8, ny: 4 };
export const whereAmI: string = import.meta.url;
