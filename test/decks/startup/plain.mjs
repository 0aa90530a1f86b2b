// Imported by computed.ts by a URL made at run time.
export const answer = 42;
