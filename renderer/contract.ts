// The renderer's one doorway to the AdminApi contract: its types, re-exported (types only, no
// runtime code crosses). Every renderer module imports the contract from here, so a move of the
// contract touches one line. The lint rule allows exactly this import from core/.
export type * from '../core/admin/api';
