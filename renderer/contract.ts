// The renderer's one doorway to the AdminApi contract: its types, re-exported (types only, no
// runtime code crosses). Every renderer module imports the contract from here.
// The lint rule's negation (`!**/core/admin/api`) cannot re-include a file under a folder its
// `**/core/*` pattern already excludes, so this single sanctioned import is marked by hand.
// eslint-disable-next-line no-restricted-imports
export type * from '../core/admin/api';
