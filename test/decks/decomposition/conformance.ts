// The decomposition conformance suite as one job: every deck below runs in turn on the same
// ranks (each prints its OK lines from rank 0 and `DONE <rank>` from every rank). Any world size.
//   node dist/src/cli/main.js run -n 4 test/decks/decomposition/conformance.ts
import './fields.js';
import './redistribute.js';
import './errors.js';
import './heat.js';
